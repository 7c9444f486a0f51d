"""A one-frame mailbox between the capture thread and the live worker: the latest frame wins.

A camera keeps delivering while a frame is being swapped; queueing those frames would add their whole
backlog to the latency, so a new frame replaces one not yet taken (a drop, counted). A source that is
not real time (a file played frame by frame) waits instead until its frame was taken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class LatestSlot(Generic[Item]):
    """Holds at most one item; :meth:`put` replaces, :meth:`take` waits."""

    def __init__(self) -> None:
        self._item: Item | None = None
        self._closed = False
        self._changed = threading.Condition()

    def put(self, item: Item) -> bool:
        """Store ``item``; True when it replaced one that was never taken (that one is dropped)."""
        with self._changed:
            dropped = self._item is not None
            self._item = item
            self._changed.notify_all()
            return dropped

    def take(self, timeout: float) -> Item | None:
        """The item (removing it), waiting up to ``timeout`` seconds; None when there is none or the
        slot is closed."""
        with self._changed:
            if self._item is None and not self._closed:
                self._changed.wait(timeout)
            item, self._item = self._item, None
            self._changed.notify_all()
            return item

    def take_unless_ended(self, timeout: float, producer_done: threading.Event) -> tuple[Item | None, bool]:
        """:meth:`take`, telling a wait that timed out from the end: ``(item, ended)``, ``ended`` True once
        ``producer_done`` is set and nothing is left. The producer's last item may arrive after the wait
        timed out and before ``producer_done`` was read: the slot is looked at once more then."""
        item = self.take(timeout)
        if item is None and producer_done.is_set():
            item = self.take(0.0)
            return item, item is None
        return item, False

    def serve(self, handle: Callable[[Item], None], stop: threading.Event, poll: float = 0.2) -> None:
        """Hand every item taken to ``handle``, on the calling thread, until ``stop`` is set and the
        slot is empty. ``stop`` is read every ``poll`` seconds while nothing arrives."""
        while True:
            item = self.take(poll)
            if item is None:
                if stop.is_set():
                    return
                continue
            handle(item)

    def wait_taken(self, timeout: float) -> bool:
        """Wait until the slot is empty (or closed); True when it is empty."""
        with self._changed:
            if self._item is not None and not self._closed:
                self._changed.wait(timeout)
            return self._item is None

    def close(self) -> None:
        """Wake every waiter; later takes return what is left, then None."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
