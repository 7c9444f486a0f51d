"""Registers the downloadable ONNX models (inswapper, ArcFace, SCRFD, GFPGAN, maskers) with the context.

Nothing is loaded at registration: a factory runs when a user first picks the component, and raises
``ModelMissing`` naming the download command when the file is not installed (or fails verification).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.roles import Detector, Enhancer, Masker, Recognizer, Swapper
from ..inference import zoo
from ..inference.onnx_recognizer import OnnxRecognizer
from ..inference.providers import normalise_provider_name
from ..inference.registry import load_registry
from ..inference.sessions import SessionCache
from ..inference.store import ModelStore

if TYPE_CHECKING:
    from .context import AppContext

ARCFACE_NAME = "ArcFace w600k_r50 (512-d)"

CONDITIONING_JUDGE: dict[str, str] = {"inswapper": "arcface"}
"""Engine id -> the judge id whose embeddings condition it. Scoring a swap with its own encoder flatters
it, so the pipeline factory picks a different judge for such an engine when one is available."""


@dataclass
class ModelServices:
    """The model store and the session cache, created on first use (they touch the data folder)."""

    provider_setting: str = "auto"
    _store: ModelStore | None = None
    _sessions: SessionCache | None = field(default=None)

    @property
    def store(self) -> ModelStore:
        if self._store is None:
            self._store = ModelStore(load_registry())
        return self._store

    @property
    def sessions(self) -> SessionCache:
        if self._sessions is None:
            self._sessions = SessionCache(self.provider_setting)
        return self._sessions

    def set_provider(self, provider: str) -> bool:
        """Change the provider setting; the session cache is rebuilt on next use. True if it changed."""
        if normalise_provider_name(provider) == normalise_provider_name(self.provider_setting):
            return False
        self.provider_setting = provider
        self._sessions = None
        return True


def register_onnx_models(context: AppContext, services: ModelServices) -> None:
    """Add the downloadable models to the context's registries under short, stable ids."""

    def arcface() -> Recognizer:
        spec = services.store.registry.get("w600k_r50")
        path = services.store.path_for_loading(spec.id)
        return OnnxRecognizer(
            path, ARCFACE_NAME, mean=spec.mean[0], std=spec.std[0], session=services.sessions.session(path)
        )

    def inswapper() -> Swapper:
        return zoo.inswapper(services.store, services.sessions, context.recognizer("arcface"))

    def scrfd() -> Detector:
        return zoo.scrfd_detector(services.store, services.sessions)

    def scrfd_10g() -> Detector:
        return zoo.scrfd_detector(services.store, services.sessions, model_id="det_10g")

    def gfpgan() -> Enhancer:
        return zoo.gfpgan(services.store, services.sessions)

    def occluder() -> Masker:
        return zoo.occluder(services.store, services.sessions)

    def xseg() -> Masker:
        return zoo.xseg(services.store, services.sessions)

    def face_parser() -> Masker:
        return zoo.face_parser(services.store, services.sessions)

    context.recognizers.register("arcface", arcface)
    context.swappers.register("inswapper", inswapper)
    context.detectors.register("scrfd", scrfd)
    context.detectors.register("scrfd_10g", scrfd_10g)
    context.enhancers.register("gfpgan", gfpgan)
    context.maskers.register("occluder", occluder)
    context.maskers.register("xseg", xseg)
    context.maskers.register("faceparser", face_parser)
