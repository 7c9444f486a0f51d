"""The component choice: which engine, judge, detector, restorer, mask model and execution provider.

A :class:`ComponentChoice` is an immutable snapshot like the blend settings: the GUI keeps one, puts its
fields into every preview request and export job, and persists it in the user settings file. Loading is
lenient (a stale or unknown value falls back to its default) because the file may come from an older
version or a machine with other models.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import FaceswapError
from ..inference.providers import AUTO, PROVIDER_ALIASES, available_providers
from .context import DEFAULT_DETECTOR, DEFAULT_ENGINE, DEFAULT_JUDGE

log = logging.getLogger(__name__)

DEFAULT_RESTORER_AMOUNT = 80
PROVIDER_SHORT_NAMES: tuple[str, ...] = ("cpu", "cuda", "dml", "coreml")
"""The execution providers offered in the GUI (when this ONNX Runtime build has them)."""

COMPONENT_MODELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("engine", "inswapper"): ("inswapper_128", "w600k_r50"),
    ("engine", "simswap"): ("simswap_512_unoff", "simswap_arcface_model"),
    ("judge", "arcface"): ("w600k_r50",),
    ("detector", "scrfd"): ("scrfd_2.5g_bnkps",),
    ("detector", "scrfd_10g"): ("det_10g",),
    ("restorer", "gfpgan"): ("gfpgan_1.4",),
    ("masker", "occluder"): ("occluder",),
    ("masker", "xseg"): ("xseg",),
    ("masker", "faceparser"): ("faceparser_resnet34",),
}
"""(role, component id) -> the registry models it loads; components not listed need no download."""

# The store's missing/integrity messages start "model '<id>' ..." (see inference.store.missing_message).
_MODEL_IN_MESSAGE = re.compile(r"model '([A-Za-z0-9][A-Za-z0-9._-]*)'")


@dataclass(frozen=True)
class ComponentChoice:
    """The chosen component ids (``None`` turns an optional stage off) and the restorer amount in %."""

    engine: str = DEFAULT_ENGINE
    judge: str | None = DEFAULT_JUDGE
    detector: str = DEFAULT_DETECTOR
    restorer: str | None = None
    restorer_amount: int = DEFAULT_RESTORER_AMOUNT
    masker: str | None = None
    provider: str = AUTO

    def replace(self, **changes: Any) -> ComponentChoice:
        """A copy with some fields changed (the amount is clamped to 0..100)."""
        changed = dataclasses.replace(self, **changes)
        return dataclasses.replace(changed, restorer_amount=max(0, min(100, int(changed.restorer_amount))))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the user settings file."""
        return dataclasses.asdict(self)

    def request_fields(self) -> dict[str, Any]:
        """The keyword arguments of a preview request / photo swap request for this choice."""
        return {
            "engine": self.engine,
            "judge": self.judge,
            "detector": self.detector,
            "restorer": self.restorer,
            "restorer_amount": self.restorer_amount / 100.0,
            "masker": self.masker,
            "provider": self.provider,
        }

    def required_models(self) -> list[str]:
        """Registry ids of every model this choice loads, without duplicates."""
        roles = (
            ("engine", self.engine),
            ("judge", self.judge),
            ("detector", self.detector),
            ("restorer", self.restorer),
            ("masker", self.masker),
        )
        needed: dict[str, None] = {}
        for role, component in roles:
            if component is not None:
                needed.update(dict.fromkeys(COMPONENT_MODELS.get((role, component), ())))
        return list(needed)


def choice_from_mapping(values: Mapping[str, Any] | None) -> ComponentChoice:
    """A choice from persisted values; unknown keys are ignored and bad values fall back to defaults."""
    default = ComponentChoice()
    if not values:
        return default
    clean: dict[str, Any] = {}
    for field in dataclasses.fields(ComponentChoice):
        if field.name not in values:
            continue
        value = values[field.name]
        fallback = getattr(default, field.name)
        if field.name == "restorer_amount":
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100
        elif field.name in ("judge", "restorer", "masker"):
            ok = value is None or (isinstance(value, str) and bool(value))
        else:
            ok = isinstance(value, str) and bool(value)
        if ok:
            clean[field.name] = value
        else:
            log.warning("ignoring remembered %s=%r; using %r", field.name, value, fallback)
    return dataclasses.replace(default, **clean)


def provider_choices(available: list[str] | None = None) -> list[str]:
    """``auto`` plus the short names of the providers this ONNX Runtime offers (CPU always)."""
    offered = available if available is not None else available_providers()
    return [AUTO] + [
        name for name in PROVIDER_SHORT_NAMES if name == "cpu" or PROVIDER_ALIASES[name] in offered
    ]


def missing_model_id(error: FaceswapError) -> str | None:
    """The registry id named by a store error (``ModelMissing`` / ``ModelIntegrityError``), if any."""
    match = _MODEL_IN_MESSAGE.search(str(error))
    return match.group(1) if match else None
