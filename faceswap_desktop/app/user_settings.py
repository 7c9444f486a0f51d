"""Per-user preferences and named presets, stored as versioned JSON under the user's config folder.

The folder is ``platformdirs.user_config_dir("faceswap-desktop")``; the ``FACESWAP_CONFIG_DIR``
environment variable overrides it (tests and portable installs). Every write is atomic, so a crash never
leaves a half-written file. A corrupt or newer-version file is logged and replaced by defaults rather
than stopping the app.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from ..core.errors import BadInput
from ..core.media.image_io import write_bytes_atomic
from ..core.settings import SwapSettings, settings_from_mapping
from .components import ComponentChoice, choice_from_mapping

log = logging.getLogger(__name__)

APP_NAME = "faceswap-desktop"
CONFIG_DIR_ENV = "FACESWAP_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
PRESETS_FILE = "presets.json"
SETTINGS_VERSION = 2
"""Version 2 added ``components`` (engine, judge, detector, restorer, mask model, provider)."""
PRESETS_VERSION = 1
THEMES: tuple[str, ...] = ("dark", "light", "system")
"""The theme choices; "system" follows the desktop's light or dark scheme."""
MAX_PRESET_NAME = 60


def config_dir() -> Path:
    """The per-user config folder (``FACESWAP_CONFIG_DIR`` wins over the platform default)."""
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


@dataclass(frozen=True)
class UserSettings:
    """Everything remembered between runs. Geometry/state are Qt's opaque blobs as base64 text."""

    consent_accepted: bool = False
    theme: str = "dark"
    window_geometry: str = ""
    window_state: str = ""
    swap_settings: dict[str, Any] = field(default_factory=dict)
    last_folder: str = ""
    components: dict[str, Any] = field(default_factory=dict)
    last_export_folder: str = ""
    """Where the last export was written: the next export's save dialog starts there."""
    cluster_address: str = ""
    """The Ray cluster batches (and, when set, video exports) can run on: ``HOST:PORT`` of its head, or
    ``auto`` (the one started on this machine); empty: none set (a batch on Ray starts a local one)."""

    def with_changes(self, **changes: Any) -> UserSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def blend_settings(self) -> SwapSettings:
        """The remembered blend settings; invalid or stale values fall back to defaults."""
        try:
            return settings_from_mapping(self.swap_settings)
        except (BadInput, TypeError) as error:
            log.warning("ignoring remembered blend settings: %s", error)
            return SwapSettings()

    def component_choice(self) -> ComponentChoice:
        """The remembered engine/component choice; stale values fall back to defaults."""
        return choice_from_mapping(self.components if isinstance(self.components, dict) else None)


def migrate_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings object of any older version up to :data:`SETTINGS_VERSION`."""
    migrated = dict(data)
    if migrated["version"] < 2:
        # Version 1 had no component choice: its swaps always used the defaults, which v2 keeps.
        migrated.setdefault("components", {})
        migrated["version"] = 2
    return migrated


def _read_json(path: Path, version: int) -> dict[str, Any] | None:
    """The JSON object of ``path`` when it exists, parses, and has a version we understand."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("ignoring unreadable %s: %s", path, error)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        log.warning("ignoring %s: not a versioned settings object", path)
        return None
    if data["version"] > version:
        log.warning("ignoring %s: written by a newer version (%s > %s)", path, data["version"], version)
        return None
    return data


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))


class UserSettingsStore:
    """Loads and saves :class:`UserSettings` and named presets in one config folder."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else config_dir()

    @property
    def settings_path(self) -> Path:
        return self.folder / SETTINGS_FILE

    @property
    def presets_path(self) -> Path:
        return self.folder / PRESETS_FILE

    def load(self) -> UserSettings:
        """The saved settings, or defaults when there is no usable file."""
        data = _read_json(self.settings_path, SETTINGS_VERSION)
        if data is None:
            return UserSettings()
        data = migrate_settings(data)
        known = {name: data[name] for name in UserSettings.__dataclass_fields__ if name in data}
        settings = UserSettings(**known)
        if settings.theme not in THEMES:
            settings = settings.with_changes(theme="dark")
        return settings

    def save(self, settings: UserSettings) -> None:
        """Write the settings atomically, with the format version."""
        _write_json(self.settings_path, {"version": SETTINGS_VERSION, **asdict(settings)})

    def presets(self) -> dict[str, SwapSettings]:
        """Every valid preset by name; invalid entries are logged and skipped."""
        data = _read_json(self.presets_path, PRESETS_VERSION)
        presets: dict[str, SwapSettings] = {}
        raw = data.get("presets", {}) if data else {}
        if not isinstance(raw, dict):
            return presets
        for name, values in raw.items():
            try:
                presets[str(name)] = settings_from_mapping(values)
            except (BadInput, TypeError) as error:
                log.warning("skipping preset %r: %s", name, error)
        return presets

    def save_preset(self, name: str, settings: SwapSettings) -> str:
        """Store ``settings`` under ``name`` (replacing a preset of that name); returns the clean name."""
        clean = validate_preset_name(name)
        presets = {key: value.to_dict() for key, value in self.presets().items()}
        presets[clean] = settings.to_dict()
        _write_json(self.presets_path, {"version": PRESETS_VERSION, "presets": presets})
        return clean

    def delete_preset(self, name: str) -> bool:
        """Remove a preset; returns whether it existed."""
        presets = {key: value.to_dict() for key, value in self.presets().items()}
        if name not in presets:
            return False
        del presets[name]
        _write_json(self.presets_path, {"version": PRESETS_VERSION, "presets": presets})
        return True


def validate_preset_name(name: str) -> str:
    """A trimmed, non-empty preset name of at most 60 printable characters."""
    clean = " ".join(name.split())
    if not clean:
        raise BadInput("a preset needs a name")
    if len(clean) > MAX_PRESET_NAME or not clean.isprintable():
        raise BadInput(f"a preset name must be printable text of at most {MAX_PRESET_NAME} characters")
    return clean
