"""The video timeline under the preview: transport buttons, time display, in/out, keyframes, the track.

Keys (while the preview or the timeline has focus): Space play/pause, Left/Right one frame (Shift: 10),
Home/End, I/O in and out points, K keyframe the current settings here, Shift+K remove it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .icons import icon
from .timeline_model import TimelineModel, format_time
from .timeline_track import TimelineTrack

BIG_STEP = 10


def _tool(icon_name: str, tip: str, text: str = "") -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(icon_name))
    button.setToolTip(tip)
    button.setAutoRaise(True)
    if text:
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


class TimelineWidget(QFrame):
    """Controls and track of a :class:`TimelineModel`; asks for keyframes and export by signal."""

    keyframe_requested = Signal()  # set a keyframe of the current settings at the playhead
    keyframe_removal_requested = Signal()
    export_requested = Signal()

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TimelineWidget")
        self.model = model
        self.track = TimelineTrack(model)
        self.play_button = _tool("mdi6.play", "Play / pause (Space)")
        self.back_button = _tool("mdi6.step-backward", "Previous frame (Left; Shift+Left: 10 frames)")
        self.forward_button = _tool("mdi6.step-forward", "Next frame (Right; Shift+Right: 10 frames)")
        self.time_label = QLabel()
        self.time_label.setObjectName("TimelineTime")
        self.frame_label = QLabel()
        self.frame_label.setObjectName("MutedLabel")
        self.in_button = _tool("mdi6.contain-start", "Set the in point at the playhead (I)")
        self.out_button = _tool("mdi6.contain-end", "Set the out point at the playhead (O)")
        self.clear_range_button = _tool("mdi6.close-circle-outline", "Export the whole video again")
        self.range_label = QLabel()
        self.range_label.setObjectName("MutedLabel")
        self.key_button = _tool(
            "mdi6.key-plus", "Keyframe the current blend settings at this frame (K)", "Key"
        )
        self.unkey_button = _tool("mdi6.key-remove", "Remove the keyframe at this frame (Shift+K)")
        self.plot_picker = QComboBox()
        self.plot_picker.setToolTip("Whose identity the plot shows: each person replaced has their own")
        self.plot_picker.setVisible(False)  # shown when several people are replaced
        self.plot_picker.currentIndexChanged.connect(
            lambda _i: self.model.plot_person(self.plot_picker.currentData())
        )
        self.export_button = QPushButton(icon("mdi6.export-variant"), "Export video…")
        self.export_button.setToolTip("Choose codec, quality, audio and range, then queue the export")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 2, 8, 0)
        bar.setSpacing(4)
        for widget in (self.back_button, self.play_button, self.forward_button):
            bar.addWidget(widget)
        bar.addSpacing(8)
        bar.addWidget(self.time_label)
        bar.addSpacing(6)
        bar.addWidget(self.frame_label)
        bar.addSpacing(8)
        bar.addWidget(self.plot_picker)
        bar.addStretch(1)
        for widget in (self.in_button, self.out_button, self.clear_range_button, self.range_label):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.key_button)
        bar.addWidget(self.unkey_button)
        bar.addSpacing(12)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.track)
        self.play_timer = QTimer(self)
        self.play_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._connect()
        self._on_video_changed()

    def _connect(self) -> None:
        model = self.model
        self.play_button.clicked.connect(lambda: model.set_playing(not model.playing))
        self.back_button.clicked.connect(lambda: model.step(-1))
        self.forward_button.clicked.connect(lambda: model.step(1))
        self.in_button.clicked.connect(lambda: model.set_in())
        self.out_button.clicked.connect(lambda: model.set_out())
        self.clear_range_button.clicked.connect(model.clear_range)
        self.key_button.clicked.connect(self.keyframe_requested)
        self.unkey_button.clicked.connect(self.keyframe_removal_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.play_timer.timeout.connect(self._on_play_tick)
        model.video_changed.connect(self._on_video_changed)
        model.position_changed.connect(self._on_position_changed)
        model.range_changed.connect(self._on_range_changed)
        model.keyframes_changed.connect(self._on_keyframes_changed)
        model.playing_changed.connect(self._on_playing_changed)

    # -- keys ----------------------------------------------------------------------------------------
    def handle_key(self, event: QKeyEvent) -> bool:
        """Apply a timeline key; True when the key was one of ours."""
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        model = self.model
        step = BIG_STEP if shift else 1
        actions = {
            Qt.Key.Key_Left: lambda: model.step(-step),
            Qt.Key.Key_Right: lambda: model.step(step),
            Qt.Key.Key_Home: lambda: model.set_position(0),
            Qt.Key.Key_End: lambda: model.set_position(model.frame_count - 1),
            Qt.Key.Key_Space: lambda: model.set_playing(not model.playing),
            Qt.Key.Key_I: lambda: model.set_in(),
            Qt.Key.Key_O: lambda: model.set_out(),
            Qt.Key.Key_K: self.keyframe_removal_requested.emit if shift else self.keyframe_requested.emit,
        }
        action = actions.get(Qt.Key(key))
        if action is None or not model.frame_count:
            return False
        if key != Qt.Key.Key_Space:
            model.set_playing(False)
        action()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.handle_key(event):
            super().keyPressEvent(event)

    # -- model events --------------------------------------------------------------------------------
    def _on_video_changed(self) -> None:
        self.setEnabled(self.model.frame_count > 0)
        self._on_position_changed(self.model.position)
        self._on_range_changed(self.model.in_point, self.model.out_point)
        self._on_keyframes_changed()

    def _on_position_changed(self, frame: int) -> None:
        model = self.model
        self.time_label.setText(f"{format_time(model.time_of(frame))} / {format_time(model.duration)}")
        self.frame_label.setText(f"frame {frame + 1}/{model.frame_count}")
        self.unkey_button.setEnabled(frame in model.track.frames)

    def _on_range_changed(self, first: int, last: int) -> None:
        model = self.model
        self.clear_range_button.setVisible(model.has_range)
        if model.has_range:
            seconds = model.time_of(last) - model.time_of(first) + 1 / model.fps
            self.range_label.setText(f"{first + 1}–{last + 1} · {seconds:.2f} s")
            self.range_label.setToolTip(f"Export range: {last - first + 1} frames")
        else:
            self.range_label.setText("whole video")

    def _on_keyframes_changed(self) -> None:
        count = len(self.model.track.frames)
        self.key_button.setText(f"Key ({count})" if count else "Key")
        self.unkey_button.setEnabled(self.model.position in self.model.track.frames)

    def _on_playing_changed(self, playing: bool) -> None:
        self.play_button.setIcon(icon("mdi6.pause" if playing else "mdi6.play"))
        if playing:
            if self.model.position >= self.model.out_point:
                self.model.set_position(self.model.in_point)
            self.play_timer.start(max(int(1000 / self.model.fps), 1))
        else:
            self.play_timer.stop()

    def _on_play_tick(self) -> None:
        """Advance one frame in real time; the latest-wins preview shows what it can keep up with."""
        if self.model.position >= self.model.out_point:
            self.model.set_playing(False)
            return
        self.model.step(1)
