"""Tensor contracts of each model role, checked before a user's own ONNX file is registered.

A user model must fit the contract of a wrapper the app already has: an inswapper-style swapper
(``target`` [1,3,128,128] + ``source`` [1,512], a 512x512 emap as the last initializer), a SimSwap-style
swapper ([1,3,512,512] + [1,512]), an ArcFace-style recognizer ([N,3,112,112] -> [N,D]), an SCRFD
detector (9 outputs of widths 1/4/10), a GFPGAN-style restorer ([1,3,512,512] -> same) or one of the
maskers (occluder, XSeg, face parser). A graph that fits none is refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from faceswap_desktop.core.errors import BadInput, ModelIntegrityError

from .inswapper import read_emap

_FLOAT_TYPES = ("tensor(float)", "tensor(float16)")
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "swapper": ("inswapper", "simswap"),
    "recognizer": ("arcface",),
    "detector": ("scrfd",),
    "restorer": ("gfpgan",),
    "masker": ("occluder", "xseg", "faceparser"),
}
"""Each role's wrapper kinds a user model can take."""


class ModelContractError(BadInput):
    """A user model's graph does not fit its role's contract (the message says where)."""


@dataclass(frozen=True)
class Contract:
    """What a validated graph is: the wrapper kind that runs it and how to feed it."""

    kind: str
    input_size: int
    requires_recognizer: str | None = None
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (255.0, 255.0, 255.0)
    layout: str = ""


def _dims(arg: Any) -> list[int | None]:
    return [d if isinstance(d, int) and d > 0 else None for d in list(getattr(arg, "shape", None) or [])]


def _describe(args: list[Any]) -> str:
    return ", ".join(f"{a.name} {list(a.shape)} {a.type}" for a in args) or "none"


def _fits(dims: list[int | None], wanted: list[int | None]) -> bool:
    """Same rank, and every static dimension equals the wanted one (``None`` in ``wanted``: any)."""
    return len(dims) == len(wanted) and all(
        w is None or d is None or d == w for d, w in zip(dims, wanted, strict=False)
    )


def _float_inputs(role: str, inputs: list[Any]) -> None:
    for arg in inputs:
        if str(arg.type) not in _FLOAT_TYPES:
            raise ModelContractError(f"{role}: input {arg.name} is {arg.type}, expected float or float16")


def check_contract(role: str, path: Path) -> Contract:
    """The contract ``path`` fits for ``role``; raises :class:`ModelContractError` naming the mismatch."""
    if role not in ROLE_KINDS:
        raise ModelContractError(f"unknown role {role!r} (one of {', '.join(ROLE_KINDS)})")
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as error:  # ORT's load errors share no base class below Exception
        raise ModelContractError(f"{path.name} is not an ONNX model ONNX Runtime can load: {error}") from None
    inputs, outputs = list(session.get_inputs()), list(session.get_outputs())
    _float_inputs(role, inputs)
    checks = {
        "swapper": _swapper,
        "recognizer": _recognizer,
        "detector": _detector,
        "restorer": _restorer,
        "masker": _masker,
    }
    return checks[role](path, inputs, outputs)


def _swapper(path: Path, inputs: list[Any], outputs: list[Any]) -> Contract:
    images = [a for a in inputs if len(_dims(a)) == 4]
    vectors = [a for a in inputs if len(_dims(a)) == 2]
    if len(inputs) != 2 or len(images) != 1 or len(vectors) != 1:
        raise ModelContractError(
            f"swapper: expected a 4-D image input and a 2-D identity input, got {_describe(inputs)}"
        )
    image, vector = images[0], vectors[0]
    size = _dims(image)[2]
    if size not in (128, 512) or not _fits(_dims(image), [None, 3, size, size]):
        raise ModelContractError(
            f"swapper: image input {image.name} is {list(image.shape)}; expected [1,3,128,128] "
            "(inswapper-style) or [1,3,512,512] (SimSwap-style)"
        )
    if not _fits(_dims(vector), [None, 512]):
        raise ModelContractError(
            f"swapper: identity input {vector.name} is {list(vector.shape)}, expected [1,512]"
        )
    if len(outputs) < 1 or not _fits(_dims(outputs[0]), [None, 3, size, size]):
        raise ModelContractError(
            f"swapper: output {_describe(outputs[:1])} does not match the {size} px image input"
        )
    if size == 512:
        return Contract("simswap", 512, "simswap_arcface_model", layout="SimSwap-style, 512 px")
    if {image.name, vector.name} != {"target", "source"}:
        raise ModelContractError(
            f"swapper: an inswapper-style graph names its inputs target and source, got {_describe(inputs)}"
        )
    try:
        read_emap(path)
    except ModelIntegrityError as error:
        raise ModelContractError(f"swapper: no emap: {error}") from None
    return Contract("inswapper", 128, "w600k_r50", layout="inswapper-style, 128 px, emap")


def _recognizer(path: Path, inputs: list[Any], outputs: list[Any]) -> Contract:
    if len(inputs) != 1 or not _fits(_dims(inputs[0]), [None, 3, 112, 112]) or _dims(inputs[0])[2] is None:
        raise ModelContractError(
            f"recognizer: expected one input [N,3,112,112] (an ArcFace crop), got {_describe(inputs)}"
        )
    dims = _dims(outputs[0]) if outputs else []
    if len(dims) != 2 or dims[1] is None or dims[1] < 64:
        raise ModelContractError(f"recognizer: expected an [N,D] embedding output, got {_describe(outputs)}")
    return Contract("arcface", 112, mean=(127.5,) * 3, std=(127.5,) * 3, layout=f"ArcFace-style, {dims[1]}-d")


def _detector(path: Path, inputs: list[Any], outputs: list[Any]) -> Contract:
    if len(inputs) != 1 or not _fits(_dims(inputs[0]), [None, 3, None, None]):
        raise ModelContractError(f"detector: expected one input [1,3,H,W], got {_describe(inputs)}")
    widths = sorted(_dims(o)[-1] or 0 for o in outputs)
    if widths != [1, 1, 1, 4, 4, 4, 10, 10, 10]:
        raise ModelContractError(
            "detector: an SCRFD graph with keypoints has 9 outputs (scores, boxes and keypoints per stride, "
            f"widths 1/4/10), got {_describe(outputs)}"
        )
    height = _dims(inputs[0])[2]
    return Contract(
        "scrfd", height or 640, mean=(127.5,) * 3, std=(128.0,) * 3, layout="SCRFD with keypoints"
    )


def _restorer(path: Path, inputs: list[Any], outputs: list[Any]) -> Contract:
    if len(inputs) != 1 or not _fits(_dims(inputs[0]), [None, 3, 512, 512]):
        raise ModelContractError(f"restorer: expected one input [1,3,512,512], got {_describe(inputs)}")
    if not outputs or not _fits(_dims(outputs[0]), [None, 3, 512, 512]):
        raise ModelContractError(f"restorer: expected an output [1,3,512,512], got {_describe(outputs)}")
    return Contract("gfpgan", 512, mean=(127.5,) * 3, std=(127.5,) * 3, layout="GFPGAN-style, 512 px")


def _masker(path: Path, inputs: list[Any], outputs: list[Any]) -> Contract:
    if len(inputs) != 1 or not outputs:
        raise ModelContractError(
            f"masker: expected one image input and a mask output, got {_describe(inputs)}"
        )
    dims, out = _dims(inputs[0]), _dims(outputs[0])
    if _fits(dims, [None, 3, 512, 512]) and _fits(out, [None, 19, 512, 512]):
        return Contract("faceparser", 512, layout="face parser, 19 CelebAMask-HQ classes")
    nchw, nhwc = _fits(dims, [None, 3, 256, 256]), _fits(dims, [None, 256, 256, 3])
    rest = out[1:]  # [1,256,256] (occluder), [256,256,1] or [256,256] (XSeg exports)
    one_channel = len(rest) in (2, 3) and sorted(d or 256 for d in rest if d != 1) == [256, 256]
    if (nchw or nhwc) and one_channel:
        kind = "xseg" if nhwc or inputs[0].name == "in_face:0" else "occluder"
        return Contract(kind, 256, layout=f"{kind}, 256 px")
    raise ModelContractError(
        "masker: expected an occluder/XSeg graph ([1,3,256,256] -> a 1-channel 256 px mask) or a face parser "
        f"([1,3,512,512] -> [1,19,512,512]), got {_describe(inputs)} -> {_describe(outputs[:1])}"
    )
