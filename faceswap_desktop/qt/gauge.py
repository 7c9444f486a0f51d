"""The similarity gauge: a custom-painted dial with the calibrated percent, cosine, verdict and model.

Each gauge also shows the baseline, the untouched target face's score against the source (what the CLI
reports as ``target_before``): the gain over it is what the swap did. When the realism measures say the
swap's edge shows (see :func:`~faceswap_desktop.core.mesh.quality.edge_check`), the gauge says so, because a
higher score bought with a visible edge is no gain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..app.preview import PreviewResult
from ..core.identity import VERDICTS
from ..core.likeness import SEARCH_AXES
from ..core.mesh.quality import EdgeCheck
from ..core.pipeline import SwappedFace
from ..core.settings import SwapSettings
from ..core.types import Similarity
from .theme import palette_colour

START_ANGLE = 225.0  # degrees, Qt's counter-clockwise from 3 o'clock
SPAN = -270.0
COMPACT_FROM = 3
"""From this many faces on, the gauges are small and three to a row: six fit without scrolling."""

GAUGE_HELP = (
    "How much the swapped face looks like the source person, judged by an independent face recognizer. "
    "The percentage is calibrated per recognizer (the raw cosine is shown below it). The tick on the dial "
    "and 'before' are the untouched target face's score against the same source: the difference is what "
    "the swap achieved. A warning means the swap's edge is visible: a score raised that way is no gain."
)


SAFE_PADDING = max(value for name, values in SEARCH_AXES if name == "mask_padding" for value in values)
"""Mask padding beyond what 'Maximise likeness' tries: it raises the judged identity by showing the
source's own surroundings at the face's edge, which the edge measures do not always catch."""


def settings_caution(settings: SwapSettings) -> str:
    """A warning for settings known to flatter the score at the expense of realism (empty if none)."""
    if settings.mask_padding > SAFE_PADDING:
        return (
            f"Mask padding {settings.mask_padding}% shows some of the source's surroundings at the face's "
            "edge: it can raise the score while a ghost edge appears on the cheeks. Check in Split view."
        )
    return ""


def verdict_colour_key(percent: float) -> str:
    """Theme colour for a percentage, following the calibrated verdict bands (best band first)."""
    keys = ("good", "fair", "warn", "bad")
    for (lowest, _words), key in zip(VERDICTS, keys, strict=True):
        if percent >= lowest:
            return key
    return "bad"


class SimilarityGaugeWidget(QWidget):
    """A 270-degree arc dial for one face's :class:`Similarity` (empty until a value arrives)."""

    def __init__(self, title: str = "", parent: QWidget | None = None, compact: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.similarity: Similarity | None = None
        self.baseline: Similarity | None = None
        """The untouched target face against the source (None when not measured)."""
        self.edge: EdgeCheck | None = None
        self.measuring = False
        """No score yet because it is being measured (shown as such, not as a blank)."""
        self.compact = compact
        if compact:
            self.setMinimumSize(96, 128)
        else:
            self.setMinimumSize(150, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(GAUGE_HELP)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(110, 128) if self.compact else QSize(200, 214)

    def set_similarity(
        self, similarity: Similarity | None, baseline: Similarity | None = None, edge: EdgeCheck | None = None
    ) -> None:
        self.similarity, self.baseline, self.edge = similarity, baseline, edge
        self.setAccessibleDescription(self.text())
        self.setToolTip(self.explanation())
        self.update()

    @property
    def edge_visible(self) -> bool:
        return self.edge is not None and self.edge.visible

    def text(self) -> str:
        """The gauge as words (accessibility and tests)."""
        if self.similarity is None:
            return f"{self.title}: {'measuring' if self.measuring else 'no score'}"
        s = self.similarity
        words = f"{self.title}: {s.percent:.0f}% {s.verdict} (cosine {s.cosine:.3f}, {s.model})"
        if self.baseline is not None:
            words += f"; untouched target {self.baseline.percent:.0f}%"
        if self.edge_visible:
            assert self.edge is not None
            words += "; head pose" if self.edge.posed else "; visible edge"
        return words

    def explanation(self) -> str:
        """The tooltip: what the numbers of this gauge mean."""
        lines = [GAUGE_HELP]
        if self.similarity is not None:
            lines.append(f"{self.text()}.")
        if self.baseline is not None and self.similarity is not None:
            gain = self.similarity.percent - self.baseline.percent
            lines.append(
                f"Before the swap this face scored {self.baseline.percent:.0f}% (cosine "
                f"{self.baseline.cosine:.3f}) against the source: the swap added {gain:+.0f} points."
            )
        if self.edge is not None and self.edge.visible:
            turned = self.edge.posed
            what = "Head pose" if turned else "Visible edge"
            advice = (
                "A more frontal target photo or frame gives a cleaner swap."
                if turned
                else "Soften the mask (feather) or reduce the padding."
            )
            lines.append(f"{what}: {self.edge.describe()}. {advice}")
        return "\n\n".join(lines)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        footer = 28 if self.compact else 56
        side = min(self.width(), self.height() - footer)
        dial = QRectF((self.width() - side) / 2 + 10, 20, side - 20, side - 20)
        thickness = max(side * 0.07, 5.0)
        track = QPen(palette_colour(self, "track"), thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(track)
        painter.drawArc(dial, int(START_ANGLE * 16), int(SPAN * 16))
        painter.setPen(palette_colour(self, "muted"))
        painter.drawText(QRectF(0, 0, self.width(), 18), Qt.AlignmentFlag.AlignHCenter, self.title)
        if self.similarity is None:
            painter.drawText(dial, Qt.AlignmentFlag.AlignCenter, "measuring…" if self.measuring else "—")
            return
        percent = max(0.0, min(100.0, self.similarity.percent))
        colour = palette_colour(self, "warn" if self.edge_visible else verdict_colour_key(percent))
        painter.setPen(QPen(colour, thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawArc(dial, int(START_ANGLE * 16), int(SPAN * percent / 100.0 * 16))
        if self.baseline is not None:
            self._paint_baseline_tick(painter, dial, thickness)
        self._paint_text(painter, dial, colour)

    def _paint_baseline_tick(self, painter: QPainter, dial: QRectF, thickness: float) -> None:
        """A short radial mark across the arc where the untouched target face scores."""
        assert self.baseline is not None
        fraction = max(0.0, min(100.0, self.baseline.percent)) / 100.0
        angle = math.radians(START_ANGLE + SPAN * fraction)
        centre, radius = dial.center(), dial.width() / 2
        inner, outer = radius - thickness * 1.1, radius + thickness * 1.1
        direction = QPointF(math.cos(angle), -math.sin(angle))
        painter.setPen(QPen(palette_colour(self, "text"), 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(centre + direction * inner, centre + direction * outer)

    def _paint_text(self, painter: QPainter, dial: QRectF, colour: QColor) -> None:
        assert self.similarity is not None
        big = QFont(self.font())
        big.setPointSizeF(max(dial.height() * 0.17, 10.0))
        big.setBold(True)
        painter.setFont(big)
        painter.setPen(palette_colour(self, "text"))
        upper = QRectF(dial.left(), dial.top() + dial.height() * 0.22, dial.width(), dial.height() * 0.36)
        painter.drawText(upper, Qt.AlignmentFlag.AlignCenter, f"{self.similarity.percent:.0f}%")
        small = QFont(self.font())
        small.setPointSizeF(max(dial.height() * 0.065, 7.5))
        painter.setFont(small)
        painter.setPen(palette_colour(self, "muted"))
        lower = QRectF(dial.left(), upper.bottom(), dial.width(), dial.height() * 0.16)
        before = f"before {self.baseline.percent:.0f}%" if self.baseline is not None else ""
        if self.compact:
            painter.drawText(lower, Qt.AlignmentFlag.AlignCenter, before)
        else:
            painter.drawText(lower, Qt.AlignmentFlag.AlignCenter, f"cosine {self.similarity.cosine:.3f}")
        verdict_font = QFont(self.font())
        verdict_font.setBold(True)
        if self.compact:
            verdict_font.setPointSizeF(max(verdict_font.pointSizeF() - 1.0, 7.5))
        painter.setFont(verdict_font)
        painter.setPen(colour)
        bottom = QRectF(0, dial.bottom() - 8, self.width(), 20)
        verdict = "⚠ Visible edge" if self.edge_visible else self.similarity.verdict.capitalize()
        painter.drawText(bottom, Qt.AlignmentFlag.AlignHCenter, verdict)
        if self.compact:
            return
        painter.setFont(small)
        painter.setPen(palette_colour(self, "muted"))
        lines = [self.similarity.model]
        if before:
            lines.append(f"untouched target: {self.baseline.percent:.0f}%")  # type: ignore[union-attr]
        for number, line in enumerate(lines):
            row = QRectF(0, bottom.bottom() + number * 16, self.width(), 16)
            painter.drawText(row, Qt.AlignmentFlag.AlignHCenter, line)


class SimilarityPanel(QWidget):
    """One gauge per swapped face, updated with each preview result."""

    gauges_rebuilt = Signal()  # the number of gauges changed: the dock may need another height

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
        self.edge_note = QLabel("")
        self.edge_note.setObjectName("JudgeNote")
        self.edge_note.setWordWrap(True)
        self.edge_note.hide()
        layout.addWidget(self.edge_note)
        self.note = QLabel("")
        self.note.setObjectName("JudgeNote")
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
        self.gauges: list[SimilarityGaugeWidget] = []

    def show_result(self, result: PreviewResult) -> None:
        """A photo preview's gauges, its visible-edge flags, the settings caution and the judge note."""
        self.set_faces(result.swapped, measuring=result.score_pending, edges=result.edges)
        caution = settings_caution(result.request.settings) if result.swapped else ""
        self.set_note("\n\n".join(text for text in (caution, result.judge_note) if text))

    def set_note(self, text: str) -> None:
        """A note under the gauges, e.g. why another judge than the chosen one scored (empty hides it)."""
        self.note.setText(text)
        self.note.setToolTip(text)
        self.note.setVisible(bool(text))

    def set_faces(
        self,
        swapped: Sequence[SwappedFace],
        measuring: bool = False,
        edges: Sequence[EdgeCheck] = (),
        titles: Sequence[str] = (),
    ) -> None:
        """Show one gauge per swapped face (reusing widgets); an empty list shows the hint. With
        ``measuring``, faces without a score show that it is on its way. ``edges`` (per face) flags a
        visible edge; ``titles`` names the gauges ("Face 1"... by default)."""
        compact = len(swapped) >= COMPACT_FROM
        if len(self.gauges) != len(swapped) or any(g.compact != compact for g in self.gauges):
            for gauge in self.gauges:
                self._row.removeWidget(gauge)
                gauge.deleteLater()
            columns = 1 if len(swapped) <= 1 else 3 if compact else 2
            self.gauges = [SimilarityGaugeWidget(parent=self, compact=compact) for _ in swapped]
            for number, gauge in enumerate(self.gauges):
                self._row.addWidget(gauge, number // columns, number % columns)
            self.gauges_rebuilt.emit()
        for number, (gauge, face) in enumerate(zip(self.gauges, swapped, strict=True)):
            gauge.title = titles[number] if number < len(titles) else f"Face {face.index + 1}"
            gauge.measuring = measuring and face.similarity is None
            edge = edges[number] if number < len(edges) else None
            gauge.set_similarity(face.similarity, face.baseline, edge)
        flagged = [gauge.title for gauge in self.gauges if gauge.edge_visible]
        self.edge_note.setText(
            f"⚠ Visible edge on {', '.join(flagged)}: these settings may raise the score while the swap "
            "looks worse. Check the face's outline in Split view."
            if flagged
            else ""
        )
        self.edge_note.setVisible(bool(flagged))
        self._hint.setVisible(not swapped)
