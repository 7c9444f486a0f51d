import dataclasses

import pytest

from faceswap_desktop.core.errors import BadInput
from faceswap_desktop.core.settings import (
    SETTING_SPECS,
    SwapSettings,
    settings_from_mapping,
    validate_settings,
)


def test_every_field_has_a_spec_and_defaults_are_valid() -> None:
    assert list(SETTING_SPECS) == [f.name for f in dataclasses.fields(SwapSettings)]
    validate_settings(SwapSettings())
    for spec in SETTING_SPECS.values():
        assert spec.label and spec.help
        if spec.kind == "int":
            assert spec.minimum < spec.maximum
        if spec.kind == "choice":
            assert getattr(SwapSettings(), spec.name) in spec.choices


def test_settings_are_frozen_and_replace_validates() -> None:
    settings = SwapSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.strength = 5  # type: ignore[misc]
    assert settings.replace(strength=40).strength == 40
    with pytest.raises(BadInput, match="strength=140"):
        settings.replace(strength=140)
    with pytest.raises(BadInput, match="blend_mode"):
        settings.replace(blend_mode="screen")


def test_from_mapping_rejects_unknown_keys_and_bad_types() -> None:
    assert settings_from_mapping({"mask_feather": 12}).mask_feather == 12
    with pytest.raises(BadInput, match="unknown setting"):
        settings_from_mapping({"sharpness": 3})
    with pytest.raises(BadInput, match="integer"):
        settings_from_mapping({"strength": "50"})
    with pytest.raises(BadInput, match="true or false"):
        settings_from_mapping({"keep_target_mouth": 1})
