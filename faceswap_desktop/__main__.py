"""Entry point: no arguments starts the GUI; a command (``swap``, ``models``...) runs the headless CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _start_window()
    from .cli import main as cli_main

    return cli_main(args)


GUI_UNAVAILABLE = 6
"""Exit status when the window cannot start on this system (missing system libraries)."""


def _start_window() -> int:
    """The GUI, unless this system lacks libraries Qt needs: then a message naming the packages."""
    from .qt.platform_check import check_xcb, missing_library_message

    problem = check_xcb()
    if problem is not None:
        print(problem.message(), file=sys.stderr)
        return GUI_UNAVAILABLE
    try:
        from .qt.main import run_gui
    except ImportError as error:  # Qt's own libraries need system ones too (libEGL, fontconfig...)
        message = missing_library_message(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return GUI_UNAVAILABLE
    return run_gui()


if __name__ == "__main__":
    sys.exit(main())
