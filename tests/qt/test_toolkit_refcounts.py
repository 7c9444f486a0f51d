"""The installed Qt binding must not lose references to Python's singletons.

PySide6-Essentials 6.12.0 decrements None's reference count on every ``QApplication.processEvents()`` and
True's/False's on every ``Signal.emit()`` without having taken a reference. On Python 3.10 and 3.11 those
objects are ordinary reference-counted objects, so after a few thousand events the interpreter aborts
("Fatal Python error: none_dealloc"/"bool_dealloc"): a long video export or scrub session would kill
the app. pyproject.toml keeps that release out; this test fails if such a binding is installed again.
On Python 3.12+ the singletons are immortal and their counts never change, so the test still passes
there for a healthy binding and cannot see the fault (which is then harmless).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

ROUNDS = 200


class _Emitter(QObject):
    fired = Signal(object)


def test_process_events_keeps_none_alive(qapp: QApplication) -> None:
    before = sys.getrefcount(None)
    for _ in range(ROUNDS):
        qapp.processEvents()
    # Other threads may create or drop a few references meanwhile; a leaking binding loses one per call.
    assert sys.getrefcount(None) > before - ROUNDS // 2


def test_signal_emit_keeps_booleans_alive(qapp: QApplication) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    before_true, before_false = sys.getrefcount(True), sys.getrefcount(False)
    for index in range(ROUNDS):
        emitter.fired.emit(index)
    assert len(received) == ROUNDS
    assert sys.getrefcount(True) > before_true - ROUNDS // 2
    assert sys.getrefcount(False) > before_false - ROUNDS // 2
