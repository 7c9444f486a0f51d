"""Live mode's widgets: the controls (camera, resolution, fps, mirror, record, snapshot, virtual camera)
and the view that paints the latest swapped frame. They hold no live state: :mod:`.live_workspace`
listens to their signals and drives the runner."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..app.live.sources import CameraChoice

FILE_CAMERA = "__file__"
"""The combo entry that plays a video file as the camera."""

RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))


class LiveView(QWidget):
    """Paints the latest frame, scaled to fit with its aspect kept (only painting on the GUI thread).

    ``fit_size`` is the view's size as a plain tuple, read by the live thread, which scales each frame
    to it before handing it over: the GUI thread then draws it 1:1 (a smooth scale of a 720p frame is
    several milliseconds of the GUI thread otherwise).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LiveView")
        self.image: QImage | None = None
        self._pixels: object = None
        """What holds the image's pixels (a ``QImage`` made on a buffer does not own it)."""
        self.frames_shown = 0
        self.fit_size: tuple[int, int] = (640, 480)
        self.setMinimumSize(320, 240)
        # paintEvent covers the whole view: Qt need not paint the widgets behind it first at each frame.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.fit_size = (max(1, self.width()), max(1, self.height()))
        super().resizeEvent(event)

    def set_image(self, image: QImage | None, pixels: object = None) -> None:
        """Show ``image`` (None: the starting text); ``pixels``: the buffer it was made on, kept with it."""
        self.image, self._pixels = image, pixels
        if image is not None:
            self.frames_shown += 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.image is None or self.image.isNull():
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Live camera is starting…")
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x, y = (self.width() - size.width()) / 2, (self.height() - size.height()) / 2
        if size != self.image.size():  # a frame scaled for the previous size (the view was resized)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(x, y, size.width(), size.height()), self.image)


class LivePanel(QWidget):
    """The Live dock's controls."""

    start_requested = Signal()
    stop_requested = Signal()
    record_toggled = Signal(bool)
    snapshot_requested = Signal()
    mirror_toggled = Signal(bool)
    virtual_camera_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LivePanel")
        self.camera_combo = QComboBox()
        self.camera_combo.setToolTip("The camera to swap live (a video file can stand in for one)")
        self.resolution_combo = QComboBox()
        self.fps_spin = QSpinBox()
        self.fps_spin.setRange(5, 60)
        self.fps_spin.setValue(30)
        self.fps_spin.setSuffix(" fps")
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.setToolTip("Flip left-right, as in a mirror")
        self.virtual_box = QCheckBox('Virtual camera (labelled "AI-altered")')
        self.virtual_box.setToolTip(
            'Other apps see the swapped stream as a webcam; every frame carries a visible "AI-altered" label'
        )
        self.start_button = QPushButton("Start live")
        self.start_button.setObjectName("PrimaryButton")
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.snapshot_button = QPushButton("Snapshot")
        self.status_label = QLabel("Live is off.")
        self.status_label.setObjectName("MutedLabel")
        self.status_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Camera", self.camera_combo)
        form.addRow("Resolution", self.resolution_combo)
        form.addRow("Frame rate", self.fps_spin)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.record_button, self.snapshot_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mirror_box)
        layout.addWidget(self.virtual_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.record_button.toggled.connect(self._on_record_toggled)
        self.snapshot_button.clicked.connect(self.snapshot_requested)
        self.camera_combo.currentIndexChanged.connect(self._on_camera_changed)
        self.mirror_box.toggled.connect(self.mirror_toggled)
        self.virtual_box.toggled.connect(self.virtual_camera_toggled)
        self.set_running(False)

    def set_cameras(self, cameras: list[CameraChoice]) -> None:
        """The camera list, then the file-backed camera entry (the current choice kept when listed)."""
        current = self.camera_combo.currentData()
        self.camera_combo.blockSignals(True)
        self.camera_combo.clear()
        for camera in cameras:
            self.camera_combo.addItem(camera.label, camera)
        self.camera_combo.addItem("Video file as camera…", FILE_CAMERA)
        if current == FILE_CAMERA:
            self.camera_combo.setCurrentIndex(self.camera_combo.count() - 1)
        self.camera_combo.blockSignals(False)
        self._on_camera_changed()

    def _on_camera_changed(self) -> None:
        camera = self.camera_combo.currentData()
        self.resolution_combo.clear()
        if not isinstance(camera, CameraChoice):
            self.resolution_combo.addItem("As the file", None)
        for width, height in RESOLUTIONS:
            self.resolution_combo.addItem(f"{width} × {height}", (width, height))

    def chosen_size(self) -> tuple[int, int] | None:
        size = self.resolution_combo.currentData()
        return tuple(size) if size else None  # type: ignore[return-value]

    def set_running(self, running: bool) -> None:
        """Start/Stop text and which controls apply now."""
        self.start_button.setText("Stop live" if running else "Start live")
        for widget in (self.camera_combo, self.resolution_combo, self.fps_spin):
            widget.setEnabled(not running)
        self.record_button.setEnabled(running)
        self.snapshot_button.setEnabled(running)
        self.virtual_box.setEnabled(running)
        if not running:
            self.set_recording(False)
            self.virtual_box.blockSignals(True)
            self.virtual_box.setChecked(False)
            self.virtual_box.blockSignals(False)

    def _on_record_toggled(self, recording: bool) -> None:
        self.record_button.setText("Stop recording" if recording else "Record")
        self.record_toggled.emit(recording)

    def set_recording(self, recording: bool) -> None:
        """Show the recording state without asking for a change (a failed start, live stopped)."""
        self.record_button.blockSignals(True)
        self.record_button.setChecked(recording)
        self.record_button.setText("Stop recording" if recording else "Record")
        self.record_button.blockSignals(False)

    def _on_start_clicked(self) -> None:
        if self.start_button.text() == "Stop live":
            self.stop_requested.emit()
        else:
            self.start_requested.emit()
