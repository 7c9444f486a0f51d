"""The one frame pipeline: detect -> landmarks -> swap (align, warp/generate, mask, blend) -> score.

Live preview, photo export, video export and the CLI all call :class:`FacePipeline`; nothing else
re-implements the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .errors import FaceIndexOutOfRange, NoFaceFound
from .identity import CalibrationTable, mean_identity
from .roles import Detector, Enhancer, Masker, Recognizer, SourcePhoto, Swapper
from .settings import SwapSettings
from .types import Face, FloatArray, Identity, Image, Similarity, StageTimings


@dataclass(frozen=True)
class FaceSelection:
    """Which target faces to swap: explicit left-to-right indices, or all of them."""

    indices: tuple[int, ...] = (0,)
    all_faces: bool = False

    def pick(self, faces: Sequence[Face]) -> list[int]:
        """Indices of ``faces`` to swap; an index that does not exist is an error naming the count."""
        if self.all_faces:
            return list(range(len(faces)))
        for index in self.indices:
            if not 0 <= index < len(faces):
                raise FaceIndexOutOfRange(
                    f"face index {index} does not exist: the target has {len(faces)} face(s) "
                    f"(0..{len(faces) - 1})"
                )
        return list(dict.fromkeys(self.indices))


@dataclass(frozen=True)
class PreparedSource:
    """Everything derived from the source photos once: faces, identity, the swapper's own preparation."""

    photos: tuple[SourcePhoto, ...]
    identity: Identity | None
    swapper_data: Any
    swapper_name: str


@dataclass(frozen=True)
class SwappedFace:
    """One swapped face and how much it now looks like the source person."""

    index: int
    face: Face
    similarity: Similarity | None
    baseline: Similarity | None = None
    """The untouched target face against the source identity, for comparison."""


@dataclass
class FrameResult:
    """A processed frame with per-face results and per-stage timings (ms)."""

    frame: Image
    faces: list[Face]
    swapped: list[SwappedFace]
    timings: StageTimings = field(default_factory=StageTimings)


class _Stopwatch:
    def __init__(self, timings: StageTimings, stage: str) -> None:
        self.timings, self.stage = timings, stage

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings.add(self.stage, (time.perf_counter() - self.start) * 1000.0)


class FacePipeline:
    """Runs the stages with injected role implementations; holds no per-request state."""

    def __init__(
        self,
        detector: Detector,
        swapper: Swapper,
        judge: Recognizer | None,
        calibrations: CalibrationTable,
        enhancer: Enhancer | None = None,
        masker: Masker | None = None,
    ) -> None:
        self.detector = detector
        self.swapper = swapper
        self.judge = judge
        self.calibrations = calibrations
        self.enhancer = enhancer
        self.masker = masker

    def prepare_source(self, images: Sequence[Image], timings: StageTimings | None = None) -> PreparedSource:
        """Analyse every source photo (largest face each), embed them, and let the swapper prepare."""
        timings = timings or StageTimings()
        photos: list[SourcePhoto] = []
        for number, image in enumerate(images):
            with _Stopwatch(timings, "source_detect"):
                faces = self.detector.detect_faces(image)
            if not faces:
                raise NoFaceFound(f"no face found in source photo {number + 1} of {len(images)}")
            photos.append(SourcePhoto(image=image, face=max(faces, key=lambda f: f.width * f.height)))
        identity = self._identity(photos, timings)
        with _Stopwatch(timings, "source_prepare"):
            data = self.swapper.prepare_source(photos)
        return PreparedSource(tuple(photos), identity, data, self.swapper.name)

    def prepared_from(self, photos: Sequence[SourcePhoto], swapper_data: Any) -> PreparedSource:
        """The :class:`PreparedSource` of photos whose faces were found and whose swapper preparation
        was made before (a cached preparation, ``app/source_cache.py``): only the identity, when this
        pipeline scores, is computed."""
        return PreparedSource(
            tuple(photos), self._identity(photos, StageTimings()), swapper_data, self.swapper.name
        )

    def _identity(self, photos: Sequence[SourcePhoto], timings: StageTimings) -> Identity | None:
        if self.judge is None:
            return None
        with _Stopwatch(timings, "source_embed"):
            embeddings = [self.judge.embed(p.image, p.face) for p in photos]
        return mean_identity(embeddings, self.judge.name)

    @property
    def remembers_slow_stats(self) -> bool:
        """Whether the swapper takes a video's slow-statistics memory (``memory`` of :meth:`process_frame`;
        a video keeps a :class:`~.video.person_memory.PersonMemory` only then)."""
        return bool(getattr(self.swapper, "remembers_slow_stats", False))

    def detect(self, frame: Image, timings: StageTimings | None = None) -> list[Face]:
        """Faces of a target frame, left to right."""
        with _Stopwatch(timings or StageTimings(), "detect"):
            return self.detector.detect_faces(frame)

    def process_frame(
        self,
        frame: Image,
        source: PreparedSource,
        settings: SwapSettings,
        selection: FaceSelection,
        faces: Sequence[Face] | None = None,
        score: Literal["none", "result", "with_baseline"] = "result",
        enhance_amount: float = 0.0,
        in_place: bool = False,
        memory: Any = None,
    ) -> FrameResult:
        """Swap the selected faces of one frame and score each result against the source identity.

        ``in_place``: the caller gives ``frame`` up (an export's decoded frame, never a cached one): a
        swapper that can (``swaps_in_place``) draws into it instead of into a copy of the whole frame (2.7
        MB per 720p frame). Ignored where the frame as it was is still needed after a swap: an occlusion
        masker or a baseline score.

        ``memory``: a video's :class:`~.mesh.slow_stats.StatsTicket` for the one selected face (see
        ``video/person_memory.py``), given to a swapper that takes it (``remembers_slow_stats``); it is
        finished here whatever happens, so the frames that wait for it never hang.
        """
        try:
            return self._process_frame(
                frame, source, settings, selection, faces, score, enhance_amount, in_place, memory
            )
        finally:
            if memory is not None:
                memory.finish()

    def _process_frame(
        self,
        frame: Image,
        source: PreparedSource,
        settings: SwapSettings,
        selection: FaceSelection,
        faces: Sequence[Face] | None,
        score: Literal["none", "result", "with_baseline"],
        enhance_amount: float,
        in_place: bool,
        memory: Any,
    ) -> FrameResult:
        """:meth:`process_frame`."""
        timings = StageTimings()
        if faces is None:
            faces = self.detect(frame, timings)
        if not faces:
            raise NoFaceFound("no face found in the target")
        indices = selection.pick(faces)
        draw_in_place = (
            in_place
            and getattr(self.swapper, "swaps_in_place", False)
            and self.masker is None
            and score != "with_baseline"
        )
        # Keyword options go only to a swapper that declares it takes them: drawing into the frame, and a
        # video's slow-statistics memory (for a single face).
        options: dict[str, Any] = {}
        if draw_in_place:
            options["in_place"] = True
        if memory is not None and len(indices) == 1 and self.remembers_slow_stats:
            options["memory"] = memory
        result = frame
        for index in indices:
            before = result
            with _Stopwatch(timings, "swap"):
                output = self.swapper.swap(result, faces[index], source.swapper_data, settings, **options)
                result = output.frame
            swapped_frame = result
            if self.enhancer is not None and enhance_amount > 0:
                with _Stopwatch(timings, "enhance"):
                    result = self.enhancer.enhance(result, faces[index], enhance_amount)
            if self.masker is not None:
                # A face parser segments the swapped face (as FaceFusion and VisoMaster do: the regions
                # to keep are the new face's); an occluder looks for hands etc. in the target as it was.
                seen = swapped_frame if getattr(self.masker, "parses_swap", False) else before
                with _Stopwatch(timings, "occlusion"):
                    result = keep_occluders(before, result, self.masker.face_mask(seen, faces[index]))
        swapped = [
            self._score(frame, result, index, faces[index], source, score, timings) for index in indices
        ]
        return FrameResult(frame=result, faces=list(faces), swapped=swapped, timings=timings)

    def measure(self, result: Image, face: Face, source: PreparedSource) -> Similarity | None:
        """How much ``face`` in an already swapped ``result`` looks like the source (None without a
        judge or a source identity). Lets a preview show the frame first and score it afterwards."""
        if self.judge is None or source.identity is None:
            return None
        return self.calibrations.similarity(self.judge.embed(result, face), source.identity)

    def _score(
        self,
        original: Image,
        result: Image,
        index: int,
        face: Face,
        source: PreparedSource,
        score: str,
        timings: StageTimings,
    ) -> SwappedFace:
        if score == "none" or self.judge is None or source.identity is None:
            return SwappedFace(index, face, None)
        # The swapped face keeps the target's geometry, so the target's keypoints locate it in the result.
        with _Stopwatch(timings, "score"):
            similarity = self.calibrations.similarity(self.judge.embed(result, face), source.identity)
            baseline = None
            if score == "with_baseline":
                baseline = self.calibrations.similarity(self.judge.embed(original, face), source.identity)
        return SwappedFace(index, face, similarity, baseline)


def keep_occluders(before: Image, after: Image, visible: FloatArray) -> Image:
    """Put back the pixels a masker says are not visible face (hands, hair, glasses in front of it)."""
    weight = np.clip(visible, 0.0, 1.0).astype(np.float32)[..., None]
    mixed = after.astype(np.float32) * weight + before.astype(np.float32) * (1.0 - weight)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


ProgressCallback = Callable[[float], None]
