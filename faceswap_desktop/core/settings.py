"""Swap settings: one frozen dataclass whose field metadata defines every default, range and choice.

The CLI options and the GUI widgets are both generated from :data:`SETTING_SPECS`, so a range changes in
one place only. A job or a preview request carries a :class:`SwapSettings` snapshot; workers never read
widgets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .errors import BadInput

ColorTransfer = Literal["none", "lab", "lab_mean", "histogram", "lowfreq"]
BlendMode = Literal["alpha", "poisson", "multiband"]
EyesSource = Literal["target", "source"]
PixelBoost = Literal["128", "256", "384", "512", "auto"]

COLOR_TRANSFER_CHOICES: tuple[str, ...] = get_args(ColorTransfer)
BLEND_MODE_CHOICES: tuple[str, ...] = get_args(BlendMode)
EYES_CHOICES: tuple[str, ...] = get_args(EyesSource)
PIXEL_BOOST_CHOICES: tuple[str, ...] = get_args(PixelBoost)


@dataclass(frozen=True)
class SettingSpec:
    """How one setting is shown and validated: label, help text and range or choices."""

    name: str
    label: str
    help: str
    kind: Literal["int", "choice", "bool"]
    minimum: int = 0
    maximum: int = 0
    choices: tuple[str, ...] = ()
    suffix: str = ""


def _int(label: str, lo: int, hi: int, default: int, help_: str, suffix: str = "%") -> Any:
    return field(
        default=default,
        metadata={"spec": dict(label=label, help=help_, kind="int", minimum=lo, maximum=hi, suffix=suffix)},
    )


def _choice(label: str, choices: tuple[str, ...], default: str, help_: str) -> Any:
    return field(
        default=default, metadata={"spec": dict(label=label, help=help_, kind="choice", choices=choices)}
    )


def _bool(label: str, default: bool, help_: str) -> Any:
    return field(default=default, metadata={"spec": dict(label=label, help=help_, kind="bool")})


@dataclass(frozen=True)
class SwapSettings:
    """An immutable snapshot of every blend/engine setting of one swap."""

    mask_padding: int = _int(
        "Mask padding", -20, 20, 0, "Grow (+) or erode (-) the face mask, in % of the face size."
    )
    mask_feather: int = _int("Mask feather", 0, 30, 5, "Softness of the mask edge, in % of the face size.")
    color_transfer: str = _choice(
        "Colour transfer",
        COLOR_TRANSFER_CHOICES,
        "lab",
        "How the source skin tone is matched to the target: LAB mean/std (Reinhard), LAB mean only "
        "(keeps the source's contrast), per-channel histogram matching, or keeping the target's "
        "low-frequency shading.",
    )
    blend_mode: str = _choice(
        "Blend mode",
        BLEND_MODE_CHOICES,
        "alpha",
        "Feathered alpha, Poisson seamless clone, or multi-band (Laplacian pyramid) blending.",
    )
    strength: int = _int("Strength", 0, 100, 100, "How much of the swapped face is blended in.")
    shape_transfer: int = _int(
        "Face shape",
        0,
        100,
        70,
        "Move the target's face outline and features toward the source person's proportions "
        "(pose and expression are kept).",
    )
    skin_extension: int = _int(
        "Skin extension",
        0,
        30,
        20,
        "Carry the source's forehead past the face mesh's outline, up toward the hairline, in % of the "
        "face size; only where both faces show skin, so hair and background are never swapped.",
    )
    keep_target_mouth: bool = _bool(
        "Keep target mouth", True, "Keep the target's mouth interior (teeth, tongue) when its mouth is open."
    )
    eyes: str = _choice(
        "Eyes",
        EYES_CHOICES,
        "source",
        "Whose eyes are shown inside the target's eyelids: the source's (more likeness; the iris is placed "
        "where the target's is, so the gaze is kept) or the target's own.",
    )
    pixel_boost: str = _choice(
        "Pixel boost",
        PIXEL_BOOST_CHOICES,
        "128",
        "Learned 128 px engines (inswapper): run the model on the sub-pixel-shifted 128 px tiles of a "
        "256, 384 or 512 px crop for a sharper face (4, 9 or 16 model runs per face); auto picks the "
        "size from the face's size in the frame. The mesh engine ignores it.",
    )

    def replace(self, **changes: Any) -> SwapSettings:
        """A copy with some fields changed and validated."""
        return validate_settings(dataclasses.replace(self, **changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (presets, reports, persisted jobs)."""
        return dataclasses.asdict(self)


def _build_specs() -> dict[str, SettingSpec]:
    specs: dict[str, SettingSpec] = {}
    for f in dataclasses.fields(SwapSettings):
        specs[f.name] = SettingSpec(name=f.name, **f.metadata["spec"])
    return specs


SETTING_SPECS: dict[str, SettingSpec] = _build_specs()
"""Every setting's spec, in declaration order: the single source for CLI options and GUI widgets."""


def validate_settings(settings: SwapSettings) -> SwapSettings:
    """Check every field against its spec; raise :class:`BadInput` naming the offending setting."""
    for name, spec in SETTING_SPECS.items():
        value = getattr(settings, name)
        if spec.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput(f"setting {name} must be an integer, got {value!r}")
            if not spec.minimum <= value <= spec.maximum:
                raise BadInput(f"setting {name}={value} is outside {spec.minimum}..{spec.maximum}")
        elif spec.kind == "choice":
            if value not in spec.choices:
                raise BadInput(f"setting {name}={value!r} is not one of {', '.join(spec.choices)}")
        elif not isinstance(value, bool):
            raise BadInput(f"setting {name} must be true or false, got {value!r}")
    return settings


def settings_from_mapping(values: Mapping[str, Any], base: SwapSettings | None = None) -> SwapSettings:
    """Build validated settings from a mapping (preset file, CLI); unknown keys are an error."""
    unknown = set(values) - set(SETTING_SPECS)
    if unknown:
        raise BadInput(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return validate_settings(dataclasses.replace(base or SwapSettings(), **dict(values)))
