"""Entry point: a command (``swap``, ``models``...) runs the headless CLI; anything else starts the GUI,
with the files it names loaded (``faceswap-desktop [--source PHOTO]... [TARGET]``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app.launch import LaunchFiles


DECODING_COMMANDS = frozenset({"swap", "cast", "live"})
"""Commands that decode the user's photos or videos (in a helper process, core/media/guarded_decode)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _start_window()
    if argv is None:  # the program itself (not a caller passing its own arguments, as tests do)
        # Before anything registers an exit handler of its own (the decoding helpers' stop below):
        # this one must run last. It acts only once a command-line command has started.
        _exit_without_teardown()
    if args[0] in DECODING_COMMANDS and not {"-h", "--help"} & set(args):
        # The helper that decodes the user's files starts on the other core while the command imports.
        from .core.media.guarded_decode import prestart_helper

        prestart_helper()
    from .cli import is_cli_command
    from .cli import main as cli_main

    if is_cli_command(args):
        _exit_status[0] = 1
        try:
            code = cli_main(args)
        except SystemExit as exit_request:  # argparse's errors (2), --help and --version (0)
            _exit_status[0] = _status_of(exit_request.code)
            raise
        _exit_status[0] = code
        return code
    return _open_files(args)


_exit_status: list[int | None] = [None]
"""The status :func:`_exit_without_teardown`'s handler ends the process with: ``None`` (no command-line
command ran: the window, or an error before one started; the interpreter exits as usual), 1 once one
started (an uncaught error), then the status the command returned or exited with."""


def _status_of(code: object) -> int:
    """The process status ``sys.exit(code)`` gives (``None``: 0, a message: 1)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _exit_without_teardown() -> None:
    """End a command-line run without the interpreter's teardown, once every exit handler has run.

    After a command's last output, CPython's finalisation (a last garbage collection, then every
    module's objects freed one by one: ONNX Runtime sessions, OpenCV, PyAV) took ~0.1 s of CPU on the
    2-core machine: ~2-3 % of a 90-frame 720p export's whole run, after its output was complete. The
    handler registered here, first, runs last: after the non-daemon threads are joined and after every
    other exit handler (logging's flush, the decoding helpers' stop, temporary files' removal); it
    flushes the standard streams and ends the process with the command's status. Registered at the
    start of the program itself (``main()`` without arguments), before any other module registers its
    own (a handler registered earlier would be skipped: the decoding helper's stop was, and the helper
    then reported a refused connection); it does nothing when no command-line command ran (the GUI).
    A caller that passes its own arguments keeps its interpreter.
    """
    import atexit
    import os

    def finish() -> None:
        status = _exit_status[0]
        if status is None:
            return
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                return  # a closed or broken stream: the interpreter reports it as usual
        os._exit(status)

    atexit.register(finish)


def _open_files(args: list[str]) -> int:
    """The window with the files named on the command line (from a file manager or a terminal)."""
    from .app.launch import LaunchArgsError, parse_launch_args

    try:
        files = parse_launch_args(args)
    except LaunchArgsError as error:
        print(f"faceswap-desktop: {error}", file=sys.stderr)
        return 2
    for problem in files.problems:
        print(f"faceswap-desktop: {problem}", file=sys.stderr)
    return _start_window(files)


GUI_UNAVAILABLE = 6
"""Exit status when the window cannot start on this system (missing system libraries)."""


def _start_window(files: LaunchFiles | None = None) -> int:
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
    return run_gui(files=files)


if __name__ == "__main__":
    sys.exit(main())
