"""'Maximise likeness': search blend settings that raise the judged identity while seams stay invisible.

A coordinate ascent over the settings that trade likeness against realism (face shape, mask padding and
feather, colour transfer). Each candidate is a real swap scored by the pipeline's judge; a candidate whose
seam ratio (see :mod:`quality`) exceeds the limit is rejected however well it scores. The search is
deterministic and bounded by ``max_evaluations`` swaps.

The judge that scores the search should not be the one used to report the result to the user when
another is available: optimising a score flatters it. The benchmark therefore optimises with dlib and
judges with the independent MobileFaceNet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import BadInput
from .mesh.quality import COLOUR_STEP_LIMIT, SEAM_LIMIT, colour_step, seam_ratio
from .pipeline import FacePipeline, FaceSelection, PreparedSource
from .settings import SwapSettings
from .types import Face, Image

SEARCH_AXES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("shape_transfer", (40, 70, 100)),
    ("mask_feather", (5, 8)),
    ("color_transfer", ("lab_mean", "lab", "histogram")),
    ("mask_padding", (-4, 0, 2)),
)
"""The settings searched, each with its candidate values, in the order they are visited.

Padding beyond the mesh, a feather under 5% and switching colour transfer off are left out on purpose:
they raise judged identity by showing the source's own surroundings, skin tone or a hard forehead line at
the face's edge, which looks wrong (checked by eye on the docs/likeness strips) even where the seam and
colour-step measures pass; those measures alone did not separate these cases."""


@dataclass(frozen=True)
class Evaluation:
    """One tried setting: mean cosine of the swapped faces to the source identity, and its seam ratio."""

    settings: SwapSettings
    cosine: float
    seam: float
    colour_step: float = 0.0

    @property
    def acceptable(self) -> bool:
        return self.seam <= SEAM_LIMIT and self.colour_step <= COLOUR_STEP_LIMIT


@dataclass
class LikenessSearch:
    """The result of a search: the best acceptable settings and every evaluation made."""

    start: Evaluation
    best: Evaluation
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def gain(self) -> float:
        return self.best.cosine - self.start.cosine


def _evaluate(
    pipeline: FacePipeline,
    frame: Image,
    source: PreparedSource,
    settings: SwapSettings,
    selection: FaceSelection,
    faces: Sequence[Face],
) -> Evaluation:
    result = pipeline.process_frame(frame, source, settings, selection, faces=faces, score="result")
    cosines = [s.similarity.cosine for s in result.swapped if s.similarity is not None]
    return Evaluation(
        settings, float(np.mean(cosines)), seam_ratio(result.frame, frame), colour_step(result.frame, frame)
    )


ProgressCallback = Callable[[int, int, "Evaluation"], None]
"""``on_evaluation(done, planned, best)`` after each swap: evaluations so far, the most the search will
make, and the best acceptable evaluation yet (the start when none is). It may raise to stop the search
(e.g. :class:`~faceswap_desktop.core.errors.Cancelled`)."""


def planned_evaluations(max_evaluations: int = 16) -> int:
    """The most swaps a search makes: the start plus every candidate value, capped by the budget."""
    return min(max_evaluations, 1 + sum(len(values) for _name, values in SEARCH_AXES))


def maximize_likeness(
    pipeline: FacePipeline,
    frame: Image,
    source: PreparedSource,
    settings: SwapSettings,
    selection: FaceSelection,
    faces: Sequence[Face] | None = None,
    max_evaluations: int = 16,
    on_evaluation: ProgressCallback | None = None,
) -> LikenessSearch:
    """Coordinate ascent from ``settings``; returns the best acceptable settings found.

    ``on_evaluation`` (see :data:`ProgressCallback`) reports progress and is where a caller cancels."""
    if pipeline.judge is None or source.identity is None:
        raise BadInput("maximising likeness needs an identity judge")
    planned = planned_evaluations(max_evaluations)

    def report(search: LikenessSearch) -> None:
        if on_evaluation is not None:
            best = search.best if search.best.cosine >= -1.0 else search.start
            on_evaluation(len(search.evaluations), planned, best)

    faces = list(faces) if faces is not None else pipeline.detect(frame)
    start = _evaluate(pipeline, frame, source, settings, selection, faces)
    search = LikenessSearch(start=start, best=start, evaluations=[start])
    if not start.acceptable:
        # The user's own settings fail the realism bound: any acceptable candidate beats them.
        search.best = Evaluation(settings, -2.0, start.seam, start.colour_step)
    report(search)
    for name, values in SEARCH_AXES:
        for value in values:
            if len(search.evaluations) >= max_evaluations:
                return _finish(search)
            if value == getattr(search.best.settings, name):
                continue
            candidate = _evaluate(
                pipeline, frame, source, search.best.settings.replace(**{name: value}), selection, faces
            )
            search.evaluations.append(candidate)
            if candidate.acceptable and candidate.cosine > search.best.cosine:
                search.best = candidate
            report(search)
    return _finish(search)


def _finish(search: LikenessSearch) -> LikenessSearch:
    if search.best.cosine < -1.0:  # nothing acceptable was found: keep the user's settings
        search.best = search.start
    return search
