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
    if args[0] in DECODING_COMMANDS and not {"-h", "--help"} & set(args):
        # The helper that decodes the user's files starts on the other core while the command imports.
        from .core.media.guarded_decode import prestart_helper

        prestart_helper()
    from .cli import is_cli_command
    from .cli import main as cli_main

    if is_cli_command(args):
        return cli_main(args)
    return _open_files(args)


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
