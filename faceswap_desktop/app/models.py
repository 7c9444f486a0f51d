"""Registers the downloadable ONNX models (inswapper, SimSwap, ArcFace, SCRFD, GFPGAN, maskers) with the
context.

Nothing is loaded at registration: a factory runs when a user first picks the component, and raises
``ModelMissing`` naming the download command when the file is not installed (or fails verification).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.identity import Calibration
from ..core.roles import Detector, Enhancer, Masker, Recognizer, Swapper
from ..inference import zoo
from ..inference.onnx_recognizer import OnnxRecognizer
from ..inference.providers import normalise_provider_name
from ..inference.registry import load_registry
from ..inference.sessions import SessionCache
from ..inference.store import ModelStore
from ..inference.user_models import user_model, user_model_kind

if TYPE_CHECKING:
    from .context import AppContext

log = logging.getLogger(__name__)

ARCFACE_NAME = "ArcFace w600k_r50 (512-d)"

CONDITIONING_JUDGE: dict[str, str] = {"inswapper": "arcface"}
"""Engine id -> the judge id whose embeddings condition it. Scoring a swap with its own encoder flatters
it, so the pipeline factory picks a different judge for such an engine when one is available."""


@functools.lru_cache(maxsize=1)
def _requires_recognizer() -> dict[str, str]:
    """Swapper model id -> the recognizer model it consumes, from the packaged registry."""
    return {
        spec.id: spec.requires_recognizer
        for spec in load_registry().by_role("swapper")
        if spec.requires_recognizer is not None
    }


def conditioning_models(engine: str) -> set[str]:
    """Registry ids of the recognizers whose embeddings condition ``engine`` (its swappers'
    ``requires_recognizer``): w600k_r50 for inswapper, simswap_arcface_model for simswap."""
    from .components import COMPONENT_MODELS

    needs = _requires_recognizer()
    return {needs[m] for m in COMPONENT_MODELS.get(("engine", engine), ()) if m in needs}


def judge_conditions_engine(engine: str, judge: str) -> bool:
    """Whether ``judge`` is (or loads) the encoder that conditions ``engine``: by id in
    :data:`CONDITIONING_JUDGE`, or because the judge's model is the engine's ``requires_recognizer``."""
    from .components import COMPONENT_MODELS

    if CONDITIONING_JUDGE.get(engine) == judge:
        return True
    return bool(conditioning_models(engine) & set(COMPONENT_MODELS.get(("judge", judge), ())))


@dataclass
class ModelServices:
    """The model store and the session cache, created on first use (they touch the data folder)."""

    provider_setting: str = "auto"
    user_components: dict[str, str] = field(default_factory=dict)
    """Component id -> role key (engine, judge...) of every registered user model."""
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
            self._sessions = SessionCache(self.provider_setting, optimized_folder=optimized_graphs_folder())
        return self._sessions

    def set_provider(self, provider: str) -> bool:
        """Change the provider setting; the session cache is rebuilt on next use. True if it changed."""
        if normalise_provider_name(provider) == normalise_provider_name(self.provider_setting):
            return False
        self.provider_setting = provider
        self._sessions = None
        return True


def optimized_graphs_folder() -> Path:
    """Where CPU sessions keep ONNX Runtime's optimised graphs (``inference/optimized_graphs.py``):
    the per-user cache folder's ``onnx``."""
    from .cast_cache import user_cache_base  # here: the cast module's imports are not every command's

    return user_cache_base() / "onnx"


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

    def simswap() -> Swapper:
        # SimSwap's encoder is built by the engine and not registered as a judge: it conditions the swap,
        # and no calibration of its cosines has been published, so the gauge could not give an honest
        # percentage for it (a judge without a calibration is refused by design).
        return zoo.simswap(services.store, services.sessions)

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
    context.swappers.register("simswap", simswap)
    context.detectors.register("scrfd", scrfd)
    context.detectors.register("scrfd_10g", scrfd_10g)
    context.enhancers.register("gfpgan", gfpgan)
    context.maskers.register("occluder", occluder)
    context.maskers.register("xseg", xseg)
    context.maskers.register("faceparser", face_parser)
    register_user_models(context, services)


USER_ROLE_KEYS: dict[str, str] = {
    "swapper": "engine",
    "recognizer": "judge",
    "detector": "detector",
    "restorer": "restorer",
    "masker": "masker",
}
"""Registry role -> the component role key (ComponentChoice field) a user model of that role fills."""


def register_user_models(context: AppContext, services: ModelServices) -> list[str]:
    """Register every user model (``models add``) as a component under its name; returns the names.

    A user swapper conditioned by w600k_r50 (inswapper-style) is never judged by ArcFace, as the
    built-in inswapper is not; its required models are listed for the model manager's prompts.
    """
    from .components import COMPONENT_MODELS

    registries: dict[str, Any] = {
        "swapper": context.swappers,
        "recognizer": context.recognizers,
        "detector": context.detectors,
        "restorer": context.enhancers,
        "masker": context.maskers,
    }
    names = []
    for spec in services.store.registry:
        if not spec.user:
            continue
        kind = user_model_kind(services.store, spec.id)
        registry = registries[spec.role]
        if spec.id in registry.ids():
            log.warning("user model %s shadows a component id; skipped", spec.id)
            continue

        encoder = _judge_id(spec.requires_recognizer) if kind == "inswapper" else None

        def create(name: str = spec.id, kind: str = kind, encoder: str | None = encoder) -> Any:
            recognizer = context.recognizer(encoder) if encoder else None
            return zoo.user_component(services.store, services.sessions, name, kind, recognizer)

        registry.register(spec.id, create)
        needs = (spec.id,) + ((spec.requires_recognizer,) if spec.requires_recognizer else ())
        COMPONENT_MODELS[(USER_ROLE_KEYS[spec.role], spec.id)] = needs
        if encoder:
            CONDITIONING_JUDGE[spec.id] = encoder
        calibration = user_model(services.store, spec.id).calibration
        if calibration is not None:  # the recognizer's name is its id (zoo.user_component)
            context.calibrations.add(Calibration(spec.id, calibration[0], calibration[1]))
        services.user_components[spec.id] = USER_ROLE_KEYS[spec.role]
        names.append(spec.id)
    return names


def _judge_id(model_id: str | None) -> str:
    """The recognizer component id that loads registry model ``model_id`` (a user recognizer's id is
    its model id)."""
    return "arcface" if model_id in (None, "w600k_r50") else str(model_id)


KEYPOINT_DETECTORS: tuple[str, ...] = ("scrfd_2.5g_bnkps", "det_10g")
"""SCRFD models whose keypoints align learned swappers, in order of preference (the light one first)."""


def keypoint_detector(services: ModelServices) -> Any:
    """An SCRFD detector to align learned swappers with, or ``None`` when no SCRFD model is installed
    (the swappers then align on the mesh keypoints)."""
    from ..inference.scrfd import ScrfdDetector
    from ..inference.store import ModelStatus

    for model_id in KEYPOINT_DETECTORS:
        if services.store.status(model_id) is ModelStatus.OK:
            path = services.store.path_for_loading(model_id)
            return ScrfdDetector(services.sessions.session(path), name=model_id)
    return None
