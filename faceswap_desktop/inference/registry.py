"""The model registry: a typed, validated view of ``resources/models.toml``.

Models are data (id, role, file, mirrors, sha256, licence, tensor contract); wrappers and the store look
them up here by id. An unknown id is an error, never ``None``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

from faceswap_desktop.core.errors import UnknownComponent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Role = Literal["detector", "recognizer", "swapper", "restorer", "masker"]
Precision = Literal["fp32", "fp16"]
ROLES: tuple[str, ...] = get_args(Role)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A bare file name: the store joins it to its folder, so separators or ".." would escape the store.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RegistryError(ValueError):
    """The registry file is malformed (a packaging bug, not a user error)."""


@dataclass(frozen=True)
class ModelSpec:
    """One downloadable model and its tensor contract."""

    id: str
    role: Role
    file: str
    urls: tuple[str, ...]
    sha256: str
    licence: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    color_order: str
    layout: str
    precision: Precision = "fp32"
    size: int | None = None
    variant_of: str | None = None
    requires_recognizer: str | None = None
    user: bool = False
    """A model the user registered (``models add``): its own sha256, no URL, source not verified."""

    @property
    def family(self) -> str:
        """The id shared by all precision variants of this model (the fp32 model's id)."""
        return self.variant_of or self.id


@dataclass(frozen=True)
class ModelRegistry:
    """All known models by id, in registry order."""

    models: Mapping[str, ModelSpec]

    def get(self, model_id: str) -> ModelSpec:
        """The spec of ``model_id``; raises :class:`UnknownComponent` for an unknown id."""
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(self.models)
            raise UnknownComponent(f"unknown model {model_id!r} (known: {known})") from None

    def ids(self) -> list[str]:
        return list(self.models)

    def by_role(self, role: Role) -> list[ModelSpec]:
        return [spec for spec in self.models.values() if spec.role == role]

    def variants(self, model_id: str) -> list[ModelSpec]:
        """Every precision variant of ``model_id``'s family (including itself)."""
        family = self.get(model_id).family
        return [spec for spec in self.models.values() if spec.family == family]

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)


def default_registry_path() -> Path:
    """The registry shipped inside the package."""
    return Path(str(resources.files("faceswap_desktop") / "resources" / "models.toml"))


def load_registry(path: Path | None = None) -> ModelRegistry:
    """Parse and validate a registry TOML file (the packaged one by default)."""
    source = path or default_registry_path()
    with source.open("rb") as handle:
        data = tomllib.load(handle)
    return parse_registry(data)


def parse_registry(data: Mapping[str, Any]) -> ModelRegistry:
    """Build a registry from parsed TOML, checking every field and cross-reference."""
    if data.get("schema") != 1:
        raise RegistryError(f"unsupported registry schema {data.get('schema')!r}")
    models: dict[str, ModelSpec] = {}
    for entry in data.get("model", []):
        spec = _parse_model(entry)
        if spec.id in models:
            raise RegistryError(f"duplicate model id {spec.id!r}")
        models[spec.id] = spec
    files = [spec.file for spec in models.values()]
    if len(set(files)) != len(files):
        raise RegistryError("two models share a file name")
    for spec in models.values():
        if spec.requires_recognizer is not None:
            needed = models.get(spec.requires_recognizer)
            if needed is None or needed.role != "recognizer":
                raise RegistryError(
                    f"{spec.id}: requires_recognizer {spec.requires_recognizer!r} is not a recognizer"
                )
        if spec.variant_of is not None:
            base = models.get(spec.variant_of)
            if base is None or base.role != spec.role:
                raise RegistryError(
                    f"{spec.id}: variant_of {spec.variant_of!r} is not a model of the same role"
                )
    return ModelRegistry(models=models)


def _parse_model(entry: Mapping[str, Any]) -> ModelSpec:
    model_id = str(entry.get("id", ""))

    def fail(why: str) -> RegistryError:
        return RegistryError(f"model {model_id or '?'}: {why}")

    known = {f for f in ModelSpec.__dataclass_fields__} - {"user"}  # only models add makes user models
    unknown = set(entry) - known
    if unknown:
        raise fail(f"unknown field(s) {', '.join(sorted(unknown))}")
    if entry.get("role") not in ROLES:
        raise fail(f"role must be one of {', '.join(ROLES)}")
    if not _FILE_NAME.match(str(entry.get("file", ""))):
        raise fail("file must be a bare file name")
    if not _SHA256.match(str(entry.get("sha256", ""))):
        raise fail("sha256 must be 64 lowercase hex digits")
    urls = tuple(str(url) for url in entry.get("urls", []))
    if not urls or not all(url.startswith("https://") for url in urls):
        raise fail("urls must be a non-empty list of https:// URLs")
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or size <= 0):
        raise fail("size must be a positive integer")
    if entry.get("precision", "fp32") not in get_args(Precision):
        raise fail("precision must be fp32 or fp16")
    mean, std = _triple(entry, "mean", fail), _triple(entry, "std", fail)
    if min(std) <= 0:
        raise fail("std must be positive")
    return ModelSpec(
        id=model_id,
        role=cast(Role, entry["role"]),
        file=str(entry["file"]),
        urls=urls,
        sha256=str(entry["sha256"]),
        licence=str(entry.get("licence", "")),
        input_size=int(entry["input_size"]),
        mean=mean,
        std=std,
        color_order=str(entry.get("color_order", "RGB")),
        layout=str(entry.get("layout", "")),
        precision=cast(Precision, entry.get("precision", "fp32")),
        size=size,
        variant_of=entry.get("variant_of"),
        requires_recognizer=entry.get("requires_recognizer"),
    )


def _triple(entry: Mapping[str, Any], key: str, fail: Any) -> tuple[float, float, float]:
    values = entry.get(key)
    if not isinstance(values, list) or len(values) != 3:
        raise fail(f"{key} must be a list of 3 numbers")
    return (float(values[0]), float(values[1]), float(values[2]))
