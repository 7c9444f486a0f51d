"""What the window opens with: ``faceswap-desktop [--source PHOTO]... [TARGET]``.

A file manager's "Open with", a Windows file association and a double-click on a registered file all
start the app with one path: that file becomes the target. Paths are checked here (they exist, they are
regular files) so that a mistyped name is reported, not silently ignored; the window still opens, and
says what it could not open.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

GUI_USAGE = "faceswap-desktop [--source PHOTO]... [TARGET]"


@dataclass(frozen=True)
class LaunchFiles:
    """Files to load into the window at start, and what was wrong with the others."""

    sources: tuple[Path, ...] = ()
    target: Path | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.sources and self.target is None


class LaunchArgsError(ValueError):
    """The command line is neither a CLI command nor files to open."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faceswap-desktop",
        usage=GUI_USAGE,
        description="Open the window with these files loaded (commands: faceswap-desktop --help).",
        add_help=False,
        exit_on_error=False,
    )
    parser.add_argument("--source", action="append", default=[], metavar="PHOTO")
    parser.add_argument("target", nargs="?", default=None, metavar="TARGET")
    return parser


def open_problem(path: Path) -> str:
    """Why ``path`` cannot be opened as a source or target ("" when it can)."""
    if not path.exists():
        return f"{path}: no such file"
    if not path.is_file():
        return f"{path}: not a regular file"
    return ""


def parse_launch_args(args: Sequence[str]) -> LaunchFiles:
    """The files named on the command line; :class:`LaunchArgsError` for anything else.

    ``file://`` URLs (some file managers pass them) are turned into paths."""
    # Finder on older macOS adds a process serial number (-psn_0_12345) to an app it starts.
    args = [arg for arg in args if not arg.startswith("-psn_")]
    try:
        parsed, unknown = _parser().parse_known_args(args)
    except argparse.ArgumentError as error:
        raise LaunchArgsError(f"{error}\nusage: {GUI_USAGE}") from error
    if unknown:
        raise LaunchArgsError(
            f"unrecognised: {' '.join(unknown)}\nusage: {GUI_USAGE}\n"
            "(commands such as swap, cast and models: faceswap-desktop --help)"
        )
    problems: list[str] = []

    def openable(text: str) -> Path | None:
        path = _as_path(text)
        problem = open_problem(path)
        if problem:
            problems.append(problem)
            return None
        return path

    sources = [path for path in map(openable, parsed.source) if path is not None]
    target = openable(parsed.target) if parsed.target is not None else None
    return LaunchFiles(tuple(sources), target, tuple(problems))


def _as_path(text: str) -> Path:
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(text).path)).absolute()
    return Path(text).expanduser().absolute()
