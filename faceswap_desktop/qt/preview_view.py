"""The live preview: swapped result, before/after and split compare, zoom, pan and face outlines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.types import Face
from .drops import dropped_paths
from .theme import palette_colour

MODES = ("after", "before", "split")
MIN_ZOOM, MAX_ZOOM = 0.05, 16.0
HANDLE_RADIUS = 14
CLICK_SLOP_PX = 4
"""A press and release this close together is a click (on a face), not a pan."""


class PreviewView(QWidget):
    """Paints the target and the swapped frame; the user zooms with the wheel and pans by dragging."""

    files_dropped = Signal(list)  # list[Path]
    zoom_changed = Signal(float)
    split_changed = Signal(float)
    face_clicked = Signal(int)  # index of the face clicked on the picture

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PreviewView")
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.faces: tuple[Face, ...] = ()
        self.selected: tuple[int, ...] = ()
        self.labels: tuple[str, ...] = ()
        """The tag drawn on each face (its number, left to right, when empty)."""
        self.mode = "after"
        self.split = 0.5
        self.fit = True
        self.zoom = 1.0
        self.offset = QPointF(0, 0)
        self.placeholder = "Drop a target photo here"
        self._drag: str | None = None
        self._drag_start = QPointF()
        self._offset_start = QPointF()
        self._was_fit = True

    # -- model ---------------------------------------------------------------------------------------
    def set_target(self, image: QImage | None, faces: Sequence[Face] = ()) -> None:
        """A new target: the swapped frame is cleared until a preview arrives; the view fits."""
        self.before, self.after, self.faces = image, None, tuple(faces)
        self.labels = ()
        self.fit_to_window()

    def set_result(self, image: QImage | None) -> None:
        self.after = image
        self.update()

    def set_selected(self, indices: Sequence[int]) -> None:
        self.selected = tuple(indices)
        self.update()

    def face_label(self, index: int) -> str:
        return self.labels[index] if index < len(self.labels) else str(index + 1)

    def face_box(self, index: int) -> QRectF:
        """Widget rectangle of face ``index``."""
        scale, origin = self.scale(), self.origin()
        x0, y0, x1, y1 = self.faces[index].box
        return QRectF(origin.x() + x0 * scale, origin.y() + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)

    def face_at(self, point: QPointF) -> int | None:
        """The face under a widget point (the smallest box when boxes overlap), or None."""
        hits = [i for i in range(len(self.faces)) if self.face_box(i).contains(point)]
        if not hits:
            return None
        return min(hits, key=lambda i: self.face_box(i).width() * self.face_box(i).height())

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown preview mode {mode!r}")
        self.mode = mode
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = min(max(fraction, 0.0), 1.0)
        self.split_changed.emit(self.split)
        self.update()

    # -- zoom ----------------------------------------------------------------------------------------
    def fit_to_window(self) -> None:
        self.fit = True
        self.zoom_changed.emit(self.scale())
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom around ``anchor`` (widget coordinates; the centre by default)."""
        if self.before is None:
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        old_scale, old_origin = self.scale(), self.origin()
        new_scale = min(max(old_scale * factor, MIN_ZOOM), MAX_ZOOM)
        image_point = (anchor - old_origin) / old_scale
        self.fit, self.zoom = False, new_scale
        self.offset = anchor - image_point * new_scale - self._centred_origin(new_scale)
        self.zoom_changed.emit(new_scale)
        self.update()

    def actual_size(self) -> None:
        """100%, centred on the (first) chosen face, else on the largest face, else the picture's centre."""
        if self.before is None:
            return
        if self.faces:
            chosen = [i for i in self.selected if 0 <= i < len(self.faces)]
            index = (
                chosen[0]
                if chosen
                else max(range(len(self.faces)), key=lambda i: self.faces[i].width * self.faces[i].height)
            )
            cx, cy = self.faces[index].center
            centre = QPointF(cx, cy)
        else:
            centre = QPointF(self.before.width() / 2, self.before.height() / 2)
        self.fit, self.zoom = False, 1.0
        self.offset = QPointF(self.width() / 2, self.height() / 2) - centre - self._centred_origin(1.0)
        self.zoom_changed.emit(1.0)
        self.update()

    def scale(self) -> float:
        if self.before is None:
            return 1.0
        if self.fit:
            return min(self.width() / self.before.width(), self.height() / self.before.height()) * 0.97
        return self.zoom

    def _centred_origin(self, scale: float) -> QPointF:
        assert self.before is not None
        return QPointF(
            (self.width() - self.before.width() * scale) / 2,
            (self.height() - self.before.height() * scale) / 2,
        )

    def origin(self) -> QPointF:
        """Widget position of the image's top-left pixel."""
        if self.before is None:
            return QPointF()
        centred = self._centred_origin(self.scale())
        return centred if self.fit else centred + self.offset

    def image_rect(self) -> QRectF:
        if self.before is None:
            return QRectF()
        scale = self.scale()
        return QRectF(
            self.origin(),
            QPointF(
                self.origin().x() + self.before.width() * scale,
                self.origin().y() + self.before.height() * scale,
            ),
        )

    def split_x(self) -> float:
        rect = self.image_rect()
        return rect.left() + rect.width() * self.split

    # -- painting ------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), palette_colour(self, "canvas"))
        if self.before is None:
            painter.setPen(palette_colour(self, "muted"))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        rect = self.image_rect()
        shown_after = self.after if self.after is not None else self.before
        if self.mode == "before":
            painter.drawImage(rect, self.before)
        elif self.mode == "after":
            painter.drawImage(rect, shown_after)
        else:
            x = self.split_x()
            painter.save()
            painter.setClipRect(QRectF(rect.left(), rect.top(), x - rect.left(), rect.height()))
            painter.drawImage(rect, self.before)
            painter.setClipRect(QRectF(x, rect.top(), rect.right() - x, rect.height()))
            painter.drawImage(rect, shown_after)
            painter.restore()
        self._paint_faces(painter)
        if self.mode == "split":
            self._paint_split_handle(painter, rect)

    def _paint_faces(self, painter: QPainter) -> None:
        accent = palette_colour(self, "accent")
        for index in range(len(self.faces)):
            box = self.face_box(index)
            chosen = index in self.selected
            pen = QPen(accent if chosen else QColor(255, 255, 255, 150), 2.5 if chosen else 1.2)
            if not chosen:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if chosen:
                _draw_corners(painter, box)
            else:
                painter.drawRoundedRect(box, 6, 6)
            label = self.face_label(index)
            if not label:
                continue
            tag = QRectF(
                box.left(), box.top() - 20, max(22, painter.fontMetrics().horizontalAdvance(label) + 10), 18
            )
            painter.setBrush(accent if chosen else QColor(0, 0, 0, 150))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(tag, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_split_handle(self, painter: QPainter, rect: QRectF) -> None:
        x = self.split_x()
        painter.setPen(QPen(QColor("white"), 2))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        centre = QPointF(x, rect.center().y())
        painter.setBrush(palette_colour(self, "accent"))
        painter.drawEllipse(centre, HANDLE_RADIUS, HANDLE_RADIUS)
        painter.setPen(QColor("white"))
        painter.drawText(
            QRectF(x - HANDLE_RADIUS, centre.y() - HANDLE_RADIUS, 2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS),
            Qt.AlignmentFlag.AlignCenter,
            "⇔",
        )
        for text, left in (("BEFORE", True), ("AFTER", False)):
            label = QRectF(rect.left() + 10 if left else rect.right() - 80, rect.top() + 10, 70, 22)
            painter.setBrush(QColor(0, 0, 0, 160))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(label, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)

    # -- input ---------------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.before is None:
            return
        near_split = self.mode == "split" and abs(event.position().x() - self.split_x()) <= HANDLE_RADIUS
        self._drag = "split" if near_split else "pan"
        self._drag_start, self._offset_start = event.position(), QPointF(self.offset)
        self._was_fit = self.fit
        if self._drag == "pan" and self.fit:
            self.zoom, self.fit, self.offset = self.scale(), False, QPointF()
            self._offset_start = QPointF()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag == "split":
            rect = self.image_rect()
            self.set_split((event.position().x() - rect.left()) / max(rect.width(), 1.0))
        elif self._drag == "pan":
            self.offset = self._offset_start + (event.position() - self._drag_start)
            self.update()
        elif self.mode == "split" and abs(event.position().x() - self.split_x()) <= HANDLE_RADIUS:
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.faces and self.face_at(event.position()) is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        was_pan = self._drag == "pan"
        self._drag = None
        if event.button() != Qt.MouseButton.LeftButton or not was_pan:
            return
        moved = event.position() - self._drag_start
        if abs(moved.x()) + abs(moved.y()) <= CLICK_SLOP_PX:
            self.offset = QPointF(self._offset_start)  # a click does not pan
            self.fit = self._was_fit
            self.update()
            face = self.face_at(event.position())
            if face is not None:
                self.face_clicked.emit(face)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.fit_to_window()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths: list[Path] = dropped_paths(event.mimeData())
        if paths:
            self.files_dropped.emit(paths)
            event.acceptProposedAction()


def _draw_corners(painter: QPainter, box: QRectF) -> None:
    """Corner brackets: mark a face without hiding it."""
    arm = min(box.width(), box.height()) * 0.22
    for cx, cy, dx, dy in (
        (box.left(), box.top(), 1, 1),
        (box.right(), box.top(), -1, 1),
        (box.left(), box.bottom(), 1, -1),
        (box.right(), box.bottom(), -1, -1),
    ):
        painter.drawLine(QPointF(cx, cy), QPointF(cx + dx * arm, cy))
        painter.drawLine(QPointF(cx, cy), QPointF(cx, cy + dy * arm))
