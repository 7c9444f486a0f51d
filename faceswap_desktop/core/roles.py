"""Roles of the pipeline as Protocols, and a registry that creates implementations by id.

Implementations live where their dependencies allow: MediaPipe and the mesh engine in core, ONNX models
and dlib in inference. The app layer registers them; an unknown id raises :class:`UnknownComponent`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import numpy as np

from .errors import UnknownComponent
from .settings import SwapSettings
from .types import Face, FloatArray, Image


@runtime_checkable
class Detector(Protocol):
    """Finds faces, ordered left-to-right, each with 5 keypoints (and 478 landmarks if it can)."""

    name: str

    def detect_faces(self, image: Image) -> list[Face]: ...


@runtime_checkable
class Recognizer(Protocol):
    """Maps a face to an L2-normalised identity embedding."""

    name: str

    def embed(self, image: Image, face: Face) -> FloatArray: ...


RecognizerSource = Callable[[str], Recognizer]
"""``source(judge_id)`` -> the recognizer to use for that id (``AppContext.recognizer`` is one; the GUI's
is :meth:`~faceswap_desktop.app.isolated_judge.IsolatedJudges.recognizer`, which never embeds in the
GUI process)."""


@dataclass(frozen=True)
class SourcePhoto:
    """One source photo with its analysed face."""

    image: Image
    face: Face


@dataclass(frozen=True)
class SwapOutput:
    """A frame with one face swapped, and the float32 [0, 1] mask of the pixels the swap changed.

    ``mask`` covers ``region`` = (x0, y0, x1, y1) of the frame; ``region=None`` means the whole frame.
    """

    frame: Image
    mask: FloatArray
    region: tuple[int, int, int, int] | None = None

    def full_mask(self) -> FloatArray:
        """The mask at frame size."""
        if self.region is None:
            return self.mask
        full = np.zeros(self.frame.shape[:2], dtype=np.float32)
        x0, y0, x1, y1 = self.region
        full[y0:y1, x0:x1] = self.mask
        return full


@runtime_checkable
class Swapper(Protocol):
    """Generates the source identity on a target face, keeping the target's pose and expression.

    ``prepare_source`` runs once per source set (it may embed, choose a texture, cache); ``swap`` runs per
    target face and must not mutate its inputs. A swapper whose class sets ``swaps_in_place = True``
    also takes ``swap(..., in_place=True)``: it may then draw into ``frame`` and return it (the caller
    owns that frame and no longer needs it as it was); see :meth:`.pipeline.FacePipeline.process_frame`.
    """

    name: str

    def prepare_source(self, photos: Sequence[SourcePhoto]) -> Any: ...

    def swap(self, frame: Image, target: Face, prepared: Any, settings: SwapSettings) -> SwapOutput: ...


@runtime_checkable
class Enhancer(Protocol):
    """Restores detail on a face region of a frame (e.g. GFPGAN); ``amount`` in [0, 1]."""

    name: str

    def enhance(self, frame: Image, face: Face, amount: float) -> Image: ...


@runtime_checkable
class Masker(Protocol):
    """Returns a float32 [0, 1] mask (frame-sized) of the visible, unoccluded face.

    The pipeline passes the target frame as it was before the swap, or, for a masker whose class sets
    ``parses_swap = True`` (a face parser), the frame with the face just swapped.
    """

    name: str

    def face_mask(self, frame: Image, face: Face) -> FloatArray: ...


T = TypeVar("T")


class ComponentRegistry(Generic[T]):
    """Factories by id for one role. Creating an unknown id is an error, never ``None``."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._factories: dict[str, Callable[[], T]] = {}

    def register(self, component_id: str, factory: Callable[[], T]) -> None:
        if component_id in self._factories:
            raise ValueError(f"{self.role} {component_id!r} is already registered")
        self._factories[component_id] = factory

    def ids(self) -> list[str]:
        return list(self._factories)

    def create(self, component_id: str) -> T:
        try:
            factory = self._factories[component_id]
        except KeyError:
            known = ", ".join(self._factories) or "none"
            raise UnknownComponent(f"unknown {self.role} {component_id!r} (known: {known})") from None
        return factory()
