"""Factories that turn a registry id into a ready model wrapper: verified file + cached session + wrapper.

The app registers these with its role registries, e.g.
``context.swappers.register("inswapper_128", lambda: zoo.inswapper(store, sessions, arcface))``.
Each raises :class:`ModelMissing` (naming the download command) when the model is not installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from faceswap_desktop.core.roles import Recognizer

from .gfpgan import GfpganEnhancer
from .inswapper import InswapperSwapper
from .occlusion import FACE_PARSER_REGIONS, FaceParserMasker, OccluderMasker, XSegMasker
from .onnx_recognizer import OnnxRecognizer
from .providers import select_variant
from .scrfd import ScrfdDetector
from .sessions import InferenceRunner, SessionCache
from .simswap import ENCODER_ID, ENCODER_NAME, SimSwapSwapper
from .store import ModelStatus, ModelStore


def installed_variant(store: ModelStore, sessions: SessionCache, model_id: str) -> str:
    """The id to load for ``model_id``: the precision variant that suits the session provider if it is
    installed, else any installed variant, else the preferred one (whose loading then names the command)."""
    preferred = select_variant(store.registry, model_id, sessions.provider).id
    candidates = [preferred] + [s.id for s in store.registry.variants(model_id) if s.id != preferred]
    for candidate in candidates:
        if store.status(candidate) is ModelStatus.OK:
            return candidate
    return preferred


def _load(store: ModelStore, sessions: SessionCache, model_id: str) -> tuple[Path, InferenceRunner]:
    path = store.path_for_loading(model_id)
    return path, sessions.session(path)


def scrfd_detector(
    store: ModelStore, sessions: SessionCache, model_id: str = "scrfd_2.5g_bnkps"
) -> ScrfdDetector:
    """An SCRFD detector (``scrfd_2.5g_bnkps`` or ``det_10g``)."""
    _, session = _load(store, sessions, model_id)
    return ScrfdDetector(session, name=model_id)


def inswapper(
    store: ModelStore, sessions: SessionCache, recognizer: Recognizer, model_id: str = "inswapper_128"
) -> InswapperSwapper:
    """inswapper_128 (fp16 or fp32 as suits the provider) with its emap; ``recognizer`` must be the
    model's ``requires_recognizer`` (w600k_r50): another model's embeddings are not in inswapper's
    identity space (a non-512-d recognizer is refused by ``prepare_source``)."""
    chosen = installed_variant(store, sessions, model_id)
    path, session = _load(store, sessions, chosen)
    return InswapperSwapper.from_model_file(path, session, recognizer, name=chosen)


def simswap_encoder(store: ModelStore, sessions: SessionCache, model_id: str = ENCODER_ID) -> OnnxRecognizer:
    """SimSwap's own ArcFace encoder: 112 px ArcFace crop, RGB, x/255 then ImageNet mean/std (the
    registry's per-channel mean/std in 0..255 units), 512-d output."""
    spec = store.registry.get(model_id)
    path, session = _load(store, sessions, model_id)
    return OnnxRecognizer(path, ENCODER_NAME, mean=spec.mean, std=spec.std, session=session)


def simswap(
    store: ModelStore,
    sessions: SessionCache,
    recognizer: Recognizer | None = None,
    model_id: str = "simswap_512_unoff",
) -> SimSwapSwapper:
    """simswap_512_unoff with its ``requires_recognizer`` encoder (built here unless one is given).

    The swapper file is loaded first, so a user without either model is told to download the swapper;
    with the swapper present and the encoder missing, the encoder is named.
    """
    _, session = _load(store, sessions, model_id)
    if recognizer is None:
        encoder_id = store.registry.get(model_id).requires_recognizer or ENCODER_ID
        recognizer = simswap_encoder(store, sessions, encoder_id)
    return SimSwapSwapper(session, recognizer, name=model_id)


def gfpgan(store: ModelStore, sessions: SessionCache, model_id: str = "gfpgan_1.4") -> GfpganEnhancer:
    """The GFPGAN v1.4 face restorer."""
    _, session = _load(store, sessions, model_id)
    return GfpganEnhancer(session, name=model_id)


def occluder(store: ModelStore, sessions: SessionCache, model_id: str = "occluder") -> OccluderMasker:
    """The occlusion masker (hands, microphones... in front of the face)."""
    _, session = _load(store, sessions, model_id)
    return OccluderMasker(session, name=model_id)


def xseg(store: ModelStore, sessions: SessionCache, model_id: str = "xseg") -> XSegMasker:
    """DeepFaceLab's XSeg face segmentation masker."""
    _, session = _load(store, sessions, model_id)
    return XSegMasker(session, name=model_id)


def face_parser(
    store: ModelStore,
    sessions: SessionCache,
    regions: Iterable[str] = tuple(FACE_PARSER_REGIONS),
    model_id: str = "faceparser_resnet34",
) -> FaceParserMasker:
    """The BiSeNet face parser, masking the given face regions."""
    _, session = _load(store, sessions, model_id)
    return FaceParserMasker(session, name=model_id, regions=regions)


def user_component(
    store: ModelStore,
    sessions: SessionCache,
    name: str,
    kind: str,
    recognizer: Recognizer | None = None,
) -> object:
    """The wrapper for registered user model ``name`` of wrapper ``kind`` (see :mod:`.contracts`); its
    file is hash-checked like every model's. An inswapper-style swapper needs ``recognizer`` (w600k_r50);
    a SimSwap-style one loads SimSwap's encoder itself."""
    spec = store.registry.get(name)
    path, session = _load(store, sessions, name)
    if kind == "inswapper":
        if recognizer is None:
            raise ValueError("an inswapper-style swapper needs its recognizer (w600k_r50)")
        return InswapperSwapper.from_model_file(path, session, recognizer, name=name)
    if kind == "simswap":
        encoder = simswap_encoder(store, sessions, spec.requires_recognizer or ENCODER_ID)
        return SimSwapSwapper(session, encoder, name=name)
    if kind == "arcface":
        return OnnxRecognizer(path, name, mean=spec.mean, std=spec.std, session=session)
    if kind == "scrfd":
        return ScrfdDetector(session, name=name, input_size=spec.input_size)
    if kind == "gfpgan":
        return GfpganEnhancer(session, name=name)
    if kind == "occluder":
        return OccluderMasker(session, name=name)
    if kind == "xseg":
        return XSegMasker(session, name=name)
    if kind == "faceparser":
        return FaceParserMasker(session, name=name)
    raise ValueError(f"unknown user model kind {kind!r}")
