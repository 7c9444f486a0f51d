"""The export's detector, answering again for the frame its reference was found in.

An export finds its reference (the chosen person's face) by detecting the faces of a frame, usually
the first frame to export; the tracker's first update then detects that same frame again: the same
pixels, the same detector, so the same faces (~20 ms at 720p, on the way to the first swap). The frame
is the same array object both times (the reference frame goes to the tracker as it is, see
``app/video.py``), and nothing draws into it in between: the export keeps the reference frame
unchanged for the tracker's deferred embedding.
"""

from __future__ import annotations

from typing import Any

from ..core.types import Face, Image

KEPT_ANSWERS = 2
"""Answers kept: the reference's frame and, when it is a larger view elsewhere, its best view. A cast
scan run through the same detector (a first export) leaves only its last frames' answers, not every
sample's frame."""


class RememberedFaces:
    """``detector`` that keeps its last answers (until :meth:`forget`) and gives each back once when
    asked about the same frame (the same array) again. Everything else is ``detector``'s own."""

    def __init__(self, detector: Any) -> None:
        self._detector = detector
        self._kept: list[tuple[Image, list[Face]]] = []
        self._remembering = True

    def detect_faces(self, image: Image) -> list[Face]:
        """The faces of ``image``: a kept answer for this very array (given back once), else the
        detector's."""
        for position, (kept, faces) in enumerate(self._kept):
            if kept is image:
                del self._kept[position]
                return list(faces)
        faces = self._detector.detect_faces(image)
        if self._remembering:
            self._kept = [*self._kept, (image, list(faces))][-KEPT_ANSWERS:]
        return faces

    def remember(self, image: Image, faces: list[Face]) -> None:
        """Keep ``faces`` as the answer for ``image``, as if it had just been detected here: the faces
        this detector found in that very array before (a cast scan run through it, whose later samples
        pushed the answer out)."""
        if self._remembering:
            self._kept = [*self._kept, (image, list(faces))][-KEPT_ANSWERS:]

    def forget(self) -> None:
        """Drop the kept answers (and their frames) and keep no more."""
        self._kept.clear()
        self._remembering = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._detector, name)
