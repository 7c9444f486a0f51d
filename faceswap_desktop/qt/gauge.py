"""The similarity gauge: a custom-painted dial with the calibrated percent, cosine, verdict and model."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..core.identity import VERDICTS
from ..core.pipeline import SwappedFace
from ..core.types import Similarity
from .theme import palette_colour

START_ANGLE = 225.0  # degrees, Qt's counter-clockwise from 3 o'clock
SPAN = -270.0


def verdict_colour_key(percent: float) -> str:
    """Theme colour for a percentage, following the calibrated verdict bands (best band first)."""
    keys = ("good", "fair", "warn", "bad")
    for (lowest, _words), key in zip(VERDICTS, keys, strict=True):
        if percent >= lowest:
            return key
    return "bad"


class SimilarityGaugeWidget(QWidget):
    """A 270-degree arc dial for one face's :class:`Similarity` (empty until a value arrives)."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.similarity: Similarity | None = None
        self.measuring = False
        """No score yet because it is being measured (shown as such, not as a blank)."""
        self.setMinimumSize(150, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "How much the swapped face looks like the source person, judged by an independent face "
            "recognizer. The percentage is calibrated per model; the raw cosine is shown below it."
        )

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, 200)

    def set_similarity(self, similarity: Similarity | None) -> None:
        self.similarity = similarity
        self.setAccessibleDescription(self.text())
        self.update()

    def text(self) -> str:
        """The gauge as words (accessibility and tests)."""
        if self.similarity is None:
            return f"{self.title}: {'measuring' if self.measuring else 'no score'}"
        s = self.similarity
        return f"{self.title}: {s.percent:.0f}% {s.verdict} (cosine {s.cosine:.3f}, {s.model})"

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height() - 40)
        dial = QRectF((self.width() - side) / 2 + 10, 22, side - 20, side - 20)
        thickness = max(side * 0.07, 6.0)
        track = QPen(palette_colour(self, "track"), thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(track)
        painter.drawArc(dial, int(START_ANGLE * 16), int(SPAN * 16))
        painter.setPen(palette_colour(self, "muted"))
        painter.drawText(QRectF(0, 0, self.width(), 20), Qt.AlignmentFlag.AlignHCenter, self.title)
        if self.similarity is None:
            painter.drawText(dial, Qt.AlignmentFlag.AlignCenter, "measuring…" if self.measuring else "—")
            return
        percent = max(0.0, min(100.0, self.similarity.percent))
        colour = palette_colour(self, verdict_colour_key(percent))
        painter.setPen(QPen(colour, thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawArc(dial, int(START_ANGLE * 16), int(SPAN * percent / 100.0 * 16))
        self._paint_text(painter, dial, colour)

    def _paint_text(self, painter: QPainter, dial: QRectF, colour: QColor) -> None:
        assert self.similarity is not None
        big = QFont(self.font())
        big.setPointSizeF(max(dial.height() * 0.17, 12.0))
        big.setBold(True)
        painter.setFont(big)
        painter.setPen(palette_colour(self, "text"))
        upper = QRectF(dial.left(), dial.top() + dial.height() * 0.22, dial.width(), dial.height() * 0.36)
        painter.drawText(upper, Qt.AlignmentFlag.AlignCenter, f"{self.similarity.percent:.0f}%")
        small = QFont(self.font())
        small.setPointSizeF(max(dial.height() * 0.065, 8.0))
        painter.setFont(small)
        painter.setPen(palette_colour(self, "muted"))
        lower = QRectF(dial.left(), upper.bottom(), dial.width(), dial.height() * 0.16)
        painter.drawText(lower, Qt.AlignmentFlag.AlignCenter, f"cosine {self.similarity.cosine:.3f}")
        verdict_font = QFont(self.font())
        verdict_font.setBold(True)
        painter.setFont(verdict_font)
        painter.setPen(colour)
        bottom = QRectF(0, dial.bottom() - 8, self.width(), 20)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignHCenter, self.similarity.verdict.capitalize())
        painter.setFont(small)
        painter.setPen(palette_colour(self, "muted"))
        painter.drawText(
            QRectF(0, bottom.bottom(), self.width(), 18), Qt.AlignmentFlag.AlignHCenter, self.similarity.model
        )


class SimilarityPanel(QWidget):
    """One gauge per swapped face, updated with each preview result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SimilarityPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self._row = QGridLayout()
        self._row.setSpacing(4)
        layout.addLayout(self._row)
        self._hint = QLabel("The identity score of each swapped face appears here.")
        self._hint.setObjectName("MutedLabel")
        self._hint.setWordWrap(True)
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._hint)
        self.note = QLabel("")
        self.note.setObjectName("JudgeNote")
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
        self.gauges: list[SimilarityGaugeWidget] = []

    def set_note(self, text: str) -> None:
        """A note under the gauges, e.g. why another judge than the chosen one scored (empty hides it)."""
        self.note.setText(text)
        self.note.setToolTip(text)
        self.note.setVisible(bool(text))

    def set_faces(
        self, swapped: tuple[SwappedFace, ...] | list[SwappedFace], measuring: bool = False
    ) -> None:
        """Show one gauge per swapped face (reusing widgets); an empty list shows the hint. With
        ``measuring``, faces without a score show that it is on its way."""
        if len(self.gauges) != len(swapped):
            for gauge in self.gauges:
                self._row.removeWidget(gauge)
                gauge.deleteLater()
            columns = 1 if len(swapped) <= 1 else 2
            self.gauges = [SimilarityGaugeWidget(parent=self) for _ in swapped]
            for number, gauge in enumerate(self.gauges):
                self._row.addWidget(gauge, number // columns, number % columns)
        for gauge, face in zip(self.gauges, swapped, strict=True):
            gauge.title = f"Face {face.index + 1}"
            gauge.measuring = measuring and face.similarity is None
            gauge.set_similarity(face.similarity)
        self._hint.setVisible(not swapped)
