"""The CLI's progress bar: frames, fps and time left on a terminal; nothing otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from faceswap_desktop.cli.progress import FrameProgress, wants_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_frames_fps_and_time_left_on_a_terminal() -> None:
    out = Terminal()
    console = Console(file=out, force_terminal=True, width=120)
    with FrameProgress("export", True, console) as bar:
        bar.update(50, 200, 12.5)
    text = out.getvalue()
    assert "export" in text and "50/200" in text and "12.5 fps" in text and "ETA" in text


def test_no_bar_before_the_first_update() -> None:
    out = Terminal()
    with FrameProgress("cast", True, Console(file=out, force_terminal=True, width=120)):
        pass  # e.g. a cast read from the cache
    assert out.getvalue() == ""


def test_no_bar_without_a_terminal_or_with_json() -> None:
    assert wants_bar(False, Terminal()) and not wants_bar(True, Terminal())
    assert not wants_bar(False, io.StringIO())
    with FrameProgress("export", False) as bar:
        bar.update(1, 2, 3.0)  # draws nothing, raises nothing
