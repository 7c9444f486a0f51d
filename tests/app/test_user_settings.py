"""Per-user settings and presets: versioned, atomic, robust to bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faceswap_desktop.app.components import ComponentChoice
from faceswap_desktop.app.user_settings import (
    CONFIG_DIR_ENV,
    SETTINGS_VERSION,
    UserSettings,
    UserSettingsStore,
    config_dir,
)
from faceswap_desktop.core.errors import BadInput
from faceswap_desktop.core.settings import SwapSettings


def test_env_overrides_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert config_dir() == tmp_path
    assert UserSettingsStore().folder == tmp_path


def test_round_trip_with_version(tmp_path: Path) -> None:
    store = UserSettingsStore(tmp_path / "cfg")
    assert store.load() == UserSettings()
    saved = UserSettings(consent_accepted=True, theme="light", swap_settings={"strength": 70})
    store.save(saved)
    data = json.loads(store.settings_path.read_text())
    assert data["version"] == SETTINGS_VERSION == 2 and data["consent_accepted"] is True
    loaded = store.load()
    assert loaded == saved
    assert loaded.blend_settings().strength == 70
    assert not list(store.folder.glob("*.part"))


@pytest.mark.parametrize(
    "content", ["{not json", "[]", '{"version": 99, "consent_accepted": true}', '{"consent_accepted": true}']
)
def test_bad_files_fall_back_to_defaults(tmp_path: Path, content: str) -> None:
    store = UserSettingsStore(tmp_path)
    store.settings_path.write_text(content)
    assert store.load() == UserSettings()


def test_stale_blend_settings_fall_back(tmp_path: Path) -> None:
    settings = UserSettings(swap_settings={"strength": 500, "gone": 1})
    assert settings.blend_settings() == SwapSettings()


def test_presets(tmp_path: Path) -> None:
    store = UserSettingsStore(tmp_path)
    assert store.presets() == {}
    name = store.save_preset("  soft   edges ", SwapSettings(mask_feather=20))
    assert name == "soft edges"
    store.save_preset("strong", SwapSettings(strength=100, blend_mode="poisson"))
    presets = store.presets()
    assert presets["soft edges"].mask_feather == 20 and presets["strong"].blend_mode == "poisson"
    assert store.delete_preset("strong") and not store.delete_preset("strong")
    assert list(store.presets()) == ["soft edges"]
    with pytest.raises(BadInput):
        store.save_preset("   ", SwapSettings())


def test_invalid_preset_entries_are_skipped(tmp_path: Path) -> None:
    store = UserSettingsStore(tmp_path)
    store.presets_path.write_text(
        json.dumps({"version": 1, "presets": {"ok": {"strength": 5}, "bad": {"strength": 900}}})
    )
    assert list(store.presets()) == ["ok"]


def test_version_1_file_migrates_with_default_components(tmp_path: Path) -> None:
    store = UserSettingsStore(tmp_path)
    v1 = {"version": 1, "consent_accepted": True, "theme": "light", "swap_settings": {"strength": 60}}
    store.settings_path.write_text(json.dumps(v1))
    loaded = store.load()
    assert loaded.consent_accepted and loaded.theme == "light" and loaded.blend_settings().strength == 60
    assert loaded.component_choice() == ComponentChoice()
    store.save(loaded)
    assert json.loads(store.settings_path.read_text())["version"] == 2


def test_component_choice_round_trips_and_stale_values_fall_back(tmp_path: Path) -> None:
    store = UserSettingsStore(tmp_path)
    choice = ComponentChoice(engine="inswapper", judge=None, restorer="gfpgan", restorer_amount=40)
    store.save(UserSettings(components=choice.to_dict()))
    assert store.load().component_choice() == choice
    stale = UserSettings(components={"engine": 3, "restorer_amount": 500, "masker": "xseg", "gone": 1})
    assert stale.component_choice() == ComponentChoice(masker="xseg")
