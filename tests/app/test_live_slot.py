"""LatestSlot.take_unless_ended: an item, a wait that timed out, and the end told apart."""

from __future__ import annotations

import threading

from faceswap_desktop.app.live.slot import LatestSlot


def test_a_timed_out_wait_is_not_the_end_and_the_last_item_is_not_lost() -> None:
    slot: LatestSlot[int] = LatestSlot()
    done = threading.Event()
    assert slot.take_unless_ended(0.01, done) == (None, False)  # producer still running: wait again
    slot.put(7)
    done.set()  # the producer's last item, then its end
    assert slot.take_unless_ended(0.01, done) == (7, False)
    assert slot.take_unless_ended(0.01, done) == (None, True)


def test_serve_hands_over_each_item_and_returns_once_stopped() -> None:
    slot: LatestSlot[int] = LatestSlot()
    stop = threading.Event()
    seen: list[int] = []
    handled = threading.Event()

    def handle(item: int) -> None:
        seen.append(item)
        handled.set()

    server = threading.Thread(target=slot.serve, args=(handle, stop, 0.01))
    server.start()
    slot.put(3)
    assert handled.wait(5.0)
    assert server.is_alive()  # nothing left, but not stopped: it keeps waiting
    stop.set()
    server.join(5.0)
    assert not server.is_alive()
    assert seen == [3]
