"""The application context: registries of every role, built once in ``main()`` and passed around."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import ModelMissing
from ..core.identity import DEFAULT_CALIBRATIONS, CalibrationTable
from ..core.mesh.mesh_engine import MeshSwapper
from ..core.pipeline import FacePipeline
from ..core.roles import ComponentRegistry, Detector, Enhancer, Masker, Recognizer, Swapper

if TYPE_CHECKING:
    from .models import ModelServices

log = logging.getLogger(__name__)

DEFAULT_ENGINE = "mesh"
DEFAULT_JUDGE = "dlib"
DEFAULT_DETECTOR = "mediapipe"
SCRFD_DETECTORS = ("scrfd", "scrfd_10g")
"""Detector ids whose faces already carry SCRFD keypoints."""

MOBILEFACENET_ENV = "FACESWAP_MOBILEFACENET"
"""Path of the small MobileFaceNet ONNX judge, when the user or the tests have it."""


def _mobilefacenet() -> Recognizer:
    from ..inference.onnx_recognizer import OnnxRecognizer

    path = os.environ.get(MOBILEFACENET_ENV, "")
    if not path or not Path(path).is_file():
        raise ModelMissing(
            f"the MobileFaceNet judge needs its ONNX file; set {MOBILEFACENET_ENV} to its path"
        )
    return OnnxRecognizer(path, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)


def _dlib(services: ModelServices) -> Recognizer:
    from ..inference.dlib_judge import embedded_dlib_judge

    return embedded_dlib_judge(services.sessions)


@dataclass
class AppContext:
    """Role registries and a cache of created components (one per id; components serialise their own use)."""

    detectors: ComponentRegistry[Detector] = field(default_factory=lambda: ComponentRegistry("detector"))
    swappers: ComponentRegistry[Swapper] = field(default_factory=lambda: ComponentRegistry("engine"))
    recognizers: ComponentRegistry[Recognizer] = field(default_factory=lambda: ComponentRegistry("judge"))
    enhancers: ComponentRegistry[Enhancer] = field(default_factory=lambda: ComponentRegistry("restorer"))
    maskers: ComponentRegistry[Masker] = field(default_factory=lambda: ComponentRegistry("masker"))
    calibrations: CalibrationTable = field(default_factory=lambda: CalibrationTable(DEFAULT_CALIBRATIONS))
    models: object = None
    """The :class:`~faceswap_desktop.app.models.ModelServices` (store + sessions) once registered."""
    _instances: dict[tuple[str, str], object] = field(default_factory=dict)
    # Re-entrant: creating one component may need another (inswapper needs its ArcFace encoder).
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _get(self, role: str, component_id: str, create: Callable[[str], object]) -> object:
        key = (role, component_id)
        with self._lock:
            if key not in self._instances:
                self._instances[key] = create(component_id)
            return self._instances[key]

    def detector(self, detector_id: str = DEFAULT_DETECTOR) -> Detector:
        return self._get("detector", detector_id, self.detectors.create)  # type: ignore[return-value]

    def swapper(self, engine_id: str = DEFAULT_ENGINE) -> Swapper:
        return self._get("engine", engine_id, self.swappers.create)  # type: ignore[return-value]

    def recognizer(self, judge_id: str = DEFAULT_JUDGE) -> Recognizer:
        return self._get("judge", judge_id, self.recognizers.create)  # type: ignore[return-value]

    def enhancer(self, restorer_id: str) -> Enhancer:
        return self._get("restorer", restorer_id, self.enhancers.create)  # type: ignore[return-value]

    def masker(self, masker_id: str) -> Masker:
        return self._get("masker", masker_id, self.maskers.create)  # type: ignore[return-value]

    def use_provider(self, provider: str) -> bool:
        """Run ONNX models on ``provider`` from now on (``auto``, ``cpu``, ``cuda``...).

        When it differs from the current setting, every cached session and component is dropped so that
        the next use rebuilds them on the new provider (pipelines already built keep their sessions).
        Returns whether anything changed.
        """
        from .models import ModelServices

        models = self.models
        if not isinstance(models, ModelServices):
            return False
        with self._lock:
            if not models.set_provider(provider):
                return False
            self._instances.clear()
        log.info("execution provider set to %s; sessions will be rebuilt", provider)
        return True

    def aligned_swapper(self, engine: str, detector: str) -> Swapper:
        """The engine, aligned on SCRFD keypoints when it is a learned swapper, the detector is not
        SCRFD and an SCRFD model is installed (the keypoints those swappers were trained on); the mesh
        engine and SCRFD-detected faces are used as they are."""
        from ..inference.scrfd_keypoints import ScrfdKeypointSwapper
        from .models import ModelServices, keypoint_detector

        swapper = self.swapper(engine)
        if (
            engine == DEFAULT_ENGINE
            or detector in SCRFD_DETECTORS
            or not isinstance(self.models, ModelServices)
        ):
            return swapper
        services = self.models
        scrfd = self._get("keypoints", services.provider_setting, lambda _id: keypoint_detector(services))
        if scrfd is None:
            with self._lock:  # not installed now: look again next time (the user may install it)
                self._instances.pop(("keypoints", services.provider_setting), None)
            return swapper
        return ScrfdKeypointSwapper(swapper, scrfd)  # type: ignore[arg-type]

    def independent_judge(self, engine: str, judge: str | None) -> str | None:
        """The judge to use: ``judge``, unless it is the encoder that conditions ``engine`` (that would
        flatter the score), in which case the embedded dlib judge takes over."""
        from .models import judge_conditions_engine

        if judge is not None and judge != DEFAULT_JUDGE and judge_conditions_engine(engine, judge):
            log.warning(
                "judge %s conditions engine %s; scoring with %s instead", judge, engine, DEFAULT_JUDGE
            )
            return DEFAULT_JUDGE
        return judge

    def build_pipeline(
        self,
        engine: str = DEFAULT_ENGINE,
        judge: str | None = DEFAULT_JUDGE,
        detector: str = DEFAULT_DETECTOR,
        restorer: str | None = None,
        masker: str | None = None,
    ) -> FacePipeline:
        """A pipeline with the chosen components (``judge=None`` skips scoring)."""
        judge = self.independent_judge(engine, judge)
        return FacePipeline(
            detector=self.detector(detector),
            swapper=self.aligned_swapper(engine, detector),
            judge=self.recognizer(judge) if judge else None,
            calibrations=self.calibrations,
            enhancer=self.enhancer(restorer) if restorer else None,
            masker=self.masker(masker) if masker else None,
        )


def create_context(provider: str = "auto") -> AppContext:
    """The context with every built-in and downloadable component registered; called once by ``main()``.

    ``provider`` picks the ONNX Runtime execution provider ("auto", "cpu", "cuda", "dml", "coreml"...).
    """
    from ..inference.face_analyser import OnnxFaceAnalyser
    from .models import ModelServices, register_onnx_models

    context = AppContext()
    services = ModelServices(provider)
    # "mediapipe": MediaPipe's embedded BlazeFace + FaceMesh models, converted to ONNX, on the app's
    # provider (the TFLite analyser of core/analysis.py is no longer registered).
    context.detectors.register("mediapipe", lambda: OnnxFaceAnalyser(services.sessions))
    context.swappers.register("mesh", MeshSwapper)
    context.models = services
    context.recognizers.register("dlib", functools.partial(_dlib, services))
    context.recognizers.register("mobilefacenet", _mobilefacenet)
    register_onnx_models(context, services)
    return context
