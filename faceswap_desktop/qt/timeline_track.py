"""The painted part of the timeline: time ruler with keyframe marks, thumbnail strip, identity plot,
in/out range and the playhead. Clicking or dragging anywhere on it moves the playhead there."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .gauge import verdict_colour_key
from .theme import palette_colour
from .timeline_model import TimelineModel, format_time

MARGIN = 10
RULER_H = 18
THUMBS_H = 48
PLOT_H = 44
GAP = 4
LIKELY_SAME = 60.0


class TimelineTrack(QWidget):
    """Custom-painted view of a :class:`TimelineModel`; it only reads the model and moves its playhead."""

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TimelineTrack")
        self.model = model
        self.setMouseTracking(True)
        self.setMinimumHeight(self.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        for signal in (
            model.video_changed,
            model.position_changed,
            model.range_changed,
            model.keyframes_changed,
            model.identity_changed,
            model.thumbnails_changed,
            model.presence_changed,
        ):
            signal.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, RULER_H + THUMBS_H + PLOT_H + 2 * GAP + 8)

    # -- geometry ------------------------------------------------------------------------------------
    def lane(self) -> tuple[float, float]:
        """Left x and width of the area frames map onto."""
        return MARGIN, max(self.width() - 2 * MARGIN, 1)

    def thumbs_rect(self) -> QRectF:
        left, width = self.lane()
        return QRectF(left, RULER_H + GAP, width, THUMBS_H)

    def plot_rect(self) -> QRectF:
        left, width = self.lane()
        return QRectF(left, RULER_H + GAP + THUMBS_H + GAP, width, PLOT_H)

    def frame_left(self, frame: float) -> float:
        left, width = self.lane()
        return left + frame * width / max(self.model.frame_count, 1)

    def frame_centre(self, frame: int) -> float:
        return self.frame_left(frame + 0.5)

    def frame_at(self, x: float) -> int:
        left, width = self.lane()
        return self.model.clamp(math.floor((x - left) / width * self.model.frame_count))

    # -- painting ------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), palette_colour(self, "panel"))
        if self.model.frame_count == 0:
            return
        self._paint_ruler(painter)
        self._paint_thumbs(painter)
        self._paint_presence(painter)
        self._paint_plot(painter)
        self._paint_range(painter)
        self._paint_keyframes(painter)
        self._paint_playhead(painter)

    def _paint_ruler(self, painter: QPainter) -> None:
        muted = palette_colour(self, "muted")
        painter.setPen(muted)
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 7.0))
        painter.setFont(font)
        _, width = self.lane()
        duration = max(self.model.duration, 1e-6)
        step = next((s for s in (0.5, 1, 2, 5, 10, 30, 60, 300, 600) if width / duration * s >= 70), 1200)
        seconds = 0.0
        while seconds <= duration:
            x = self.frame_left(seconds * self.model.fps)
            painter.drawLine(QPointF(x, RULER_H - 5), QPointF(x, RULER_H))
            painter.drawText(
                QPointF(x + 3, RULER_H - 6), format_time(seconds)[:-3] if step >= 1 else format_time(seconds)
            )
            seconds += step

    def _paint_thumbs(self, painter: QPainter) -> None:
        rect = self.thumbs_rect()
        painter.save()
        clip = QPainterPath()
        clip.addRoundedRect(rect, 5, 5)
        painter.setClipPath(clip)
        painter.fillRect(rect, palette_colour(self, "canvas"))
        thumbs = self.model.thumbnails
        if thumbs:
            # Each thumbnail covers from its frame to the next one's; keep its aspect by cropping.
            edges = [index for index, _ in thumbs] + [self.model.frame_count]
            for (index, image), end in zip(thumbs, edges[1:], strict=True):
                target = QRectF(
                    self.frame_left(index),
                    rect.top(),
                    self.frame_left(end) - self.frame_left(index),
                    rect.height(),
                )
                scale = rect.height() / max(image.height(), 1)
                source_width = min(image.width(), target.width() / scale)
                source = QRectF((image.width() - source_width) / 2, 0, source_width, image.height())
                painter.drawImage(target, image, source)
        painter.restore()

    def _paint_presence(self, painter: QPainter) -> None:
        """A band under the thumbnails where the person to replace appears (from the cast scan)."""
        rect = self.thumbs_rect()
        accent = palette_colour(self, "accent")
        for first, last in self.model.presence:
            left = self.frame_left(first)
            band = QRectF(left, rect.bottom() - 4, max(self.frame_left(last + 1) - left, 1.0), 4)
            painter.fillRect(band, accent)

    def _paint_plot(self, painter: QPainter) -> None:
        rect = self.plot_rect()
        painter.save()
        clip = QPainterPath()
        clip.addRoundedRect(rect, 5, 5)
        painter.setClipPath(clip)
        painter.fillRect(rect, palette_colour(self, "canvas"))
        guide = QPen(palette_colour(self, "border"), 1, Qt.PenStyle.DashLine)
        painter.setPen(guide)
        y_same = rect.bottom() - rect.height() * LIKELY_SAME / 100
        painter.drawLine(QPointF(rect.left(), y_same), QPointF(rect.right(), y_same))
        bar = max(self.frame_left(1) - self.frame_left(0), 1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        bad, muted = palette_colour(self, "bad"), palette_colour(self, "muted")
        missing = QColor(bad)
        missing.setAlpha(70)
        for frame, value in self.model.plotted_identity().items():
            x = self.frame_left(frame)
            if value is None:  # the person was not found: a red column stands out
                painter.fillRect(QRectF(x, rect.top(), bar, rect.height()), missing)
                painter.fillRect(QRectF(x, rect.bottom() - 5, bar, 5), bad)
            elif math.isnan(value):
                painter.fillRect(QRectF(x, rect.bottom() - 3, bar, 3), muted)
            else:
                height = max(rect.height() * value / 100, 2.0)
                painter.fillRect(
                    QRectF(x, rect.bottom() - height, bar, height),
                    palette_colour(self, verdict_colour_key(value)),
                )
        if not self.model.plotted_identity():
            painter.setPen(muted)
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignCenter,
                "Identity per frame appears as frames are previewed or exported",
            )
        painter.restore()

    def _paint_range(self, painter: QPainter) -> None:
        model, top, bottom = self.model, RULER_H + GAP, self.plot_rect().bottom()
        if model.has_range:
            shade = QColor(0, 0, 0, 150)
            left_end, right_start = self.frame_left(model.in_point), self.frame_left(model.out_point + 1)
            lane_left, lane_width = self.lane()
            painter.fillRect(QRectF(lane_left, top, left_end - lane_left, bottom - top), shade)
            painter.fillRect(
                QRectF(right_start, top, lane_left + lane_width - right_start, bottom - top), shade
            )
        accent = palette_colour(self, "accent")
        painter.setPen(QPen(accent, 2))
        for x, sign in ((self.frame_left(model.in_point), 1), (self.frame_left(model.out_point + 1), -1)):
            if not model.has_range:
                break
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.drawLine(QPointF(x, top), QPointF(x + 6 * sign, top))
            painter.drawLine(QPointF(x, bottom), QPointF(x + 6 * sign, bottom))

    def _paint_keyframes(self, painter: QPainter) -> None:
        painter.setPen(QPen(palette_colour(self, "panel"), 1))
        painter.setBrush(palette_colour(self, "warn"))
        y = RULER_H + GAP + THUMBS_H
        for frame in self.model.track.frames:
            x = self.frame_centre(frame)
            painter.drawPolygon(
                QPolygonF([QPointF(x, y - 6), QPointF(x + 6, y), QPointF(x, y + 6), QPointF(x - 6, y)])
            )

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.frame_centre(self.model.position)
        colour = palette_colour(self, "text")
        painter.setPen(QPen(colour, 2))
        painter.drawLine(QPointF(x, RULER_H - 2), QPointF(x, self.plot_rect().bottom() + 2))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(x - 6, 2),
                    QPointF(x + 6, 2),
                    QPointF(x + 6, RULER_H - 8),
                    QPointF(x, RULER_H - 2),
                    QPointF(x - 6, RULER_H - 8),
                ]
            )
        )

    # -- input ---------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.model.frame_count:
            self.model.set_position(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.model.frame_count:
            return
        frame = self.frame_at(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.model.set_position(frame)
        elif self.plot_rect().contains(event.position()):
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(frame), self)

    def describe(self, frame: int) -> str:
        """The tooltip of a frame on the identity plot."""
        where = f"Frame {frame + 1} · {format_time(self.model.time_of(frame))}"
        series = self.model.plotted_identity()
        if frame not in series:
            return f"{where} · not previewed yet"
        value = series[frame]
        if value is None:
            return f"{where} · the chosen person was not found"
        if math.isnan(value):
            return f"{where} · swapped (similarity not measured)"
        return f"{where} · {value:.0f}% like the source"
