"""The frozen app's entry script (PyInstaller runs this as ``__main__``).

The app starts helper processes as ``sys.executable -c CODE`` (the guarded decoder and the identity
judge: fresh interpreters, never forks). In a frozen build ``sys.executable`` is this app, not a Python,
so the app answers ``-c CODE`` itself the way Python would: it runs CODE as the main module and exits.
"""

from __future__ import annotations

import sys


def _run_child_code(code: str) -> None:
    sys.argv = ["-c", *sys.argv[3:]]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(code, "<string>", "exec"), namespace)  # the app's own helper code, as python -c runs it


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "-c":
        _run_child_code(sys.argv[2])
        sys.exit(0)
    from faceswap_desktop.__main__ import main

    sys.exit(main())
