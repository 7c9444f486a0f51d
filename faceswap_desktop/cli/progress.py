"""A progress bar for long CLI jobs (cast scans, video exports): frames done, fps and time left.

Drawn with rich on stderr, and only when stderr is a terminal and the output is not ``--json``: logs,
pipes and scripts get no control characters.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich is imported when a bar is drawn: ~25 ms of every command's start otherwise
    from rich.console import Console
    from rich.progress import Progress, TaskID


def wants_bar(json_output: bool, stream: TextIO | None = None) -> bool:
    """A bar is drawn on a terminal, unless the output is JSON."""
    stream = stream or sys.stderr
    return not json_output and bool(getattr(stream, "isatty", lambda: False)())


class FrameProgress:
    """``with FrameProgress("export", enabled) as bar: bar.update(done, total, fps)``; silent when not
    enabled. The bar appears with the first update (a cast read from the cache draws none)."""

    def __init__(self, description: str, enabled: bool, console: Console | None = None) -> None:
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("frames"),
                TextColumn("{task.fields[fps]:.1f} fps"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> FrameProgress:
        return self

    def update(self, done: int, total: int, fps: float) -> None:
        """Frames done of ``total`` at ``fps`` frames a second (rich estimates the time left)."""
        if self._progress is None:
            return
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=total, fps=fps)
        self._progress.update(self._task, completed=done, total=total, fps=fps)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.stop()
