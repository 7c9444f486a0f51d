"""The user's own ONNX models: registered with ``models add``, stored with their sha256, verified on load.

A user model is validated against its role's contract (:mod:`.contracts`) before it is copied into the
store as ``user-<name>.onnx``; its entry (name, role, wrapper kind, sha256, size) goes to
``user_models.json`` next to it. From then on it is a :class:`ModelSpec` like the pinned ones (no URL,
licence "user model (source not verified)"), so ``status``/``verify``/``path_for_loading`` hash-check
it the same way, and the app registers it as a component under its name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from faceswap_desktop.core.errors import BadInput, UnreadableFile

from .registry import ModelRegistry, ModelSpec, Role

if TYPE_CHECKING:
    from .store import ModelStore

log = logging.getLogger(__name__)

MANIFEST = "user_models.json"
USER_LICENCE = "user model (source not verified)"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,47}$")
RESERVED_NAMES = frozenset(
    {
        "mesh",
        "inswapper",
        "simswap",
        "dlib",
        "arcface",
        "mobilefacenet",
        "mediapipe",
        "scrfd",
        "scrfd_10g",
        "gfpgan",
        "occluder",
        "xseg",
        "faceparser",
        "auto",
        "none",
    }
)
"""Component ids of the built-in components: a user model may not shadow one."""


@dataclass(frozen=True)
class UserModel:
    """One registered user model, as stored in the manifest."""

    name: str
    role: str
    kind: str
    file: str
    sha256: str
    size: int
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    requires_recognizer: str | None
    layout: str
    original_name: str
    added: str
    calibration: tuple[float, float] | None = None
    """Recognizers: the gauge's (centre, slope) fitted on the user's labelled photos (``models
    calibrate``); without one the recognizer can condition a swapper but not be the judge."""

    def spec(self) -> ModelSpec:
        """The model as a registry entry (no download URL; hash-checked like every other)."""
        return ModelSpec(
            id=self.name,
            role=cast(Role, self.role),
            file=self.file,
            urls=(),
            sha256=self.sha256,
            licence=USER_LICENCE,
            input_size=self.input_size,
            mean=self.mean,
            std=self.std,
            color_order="RGB",
            layout=f"{self.kind}: {self.layout} (from {self.original_name})",
            size=self.size,
            requires_recognizer=self.requires_recognizer,
            user=True,
        )


def read_manifest(root: Path) -> list[UserModel]:
    """The registered user models under ``root`` (an unreadable manifest counts as none, logged)."""
    path = root / MANIFEST
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [_entry(item) for item in entries]
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.warning("ignoring the unreadable user model list %s: %s", path, error)
        return []


def _entry(item: dict[str, Any]) -> UserModel:
    values = dict(item)
    values["mean"] = tuple(float(v) for v in values["mean"])
    values["std"] = tuple(float(v) for v in values["std"])
    if values.get("calibration") is not None:
        values["calibration"] = tuple(float(v) for v in values["calibration"])
    model = UserModel(**values)
    if not _NAME.match(model.name) or model.file != f"user-{model.name}.onnx":
        raise ValueError(f"bad user model entry {model.name!r}")
    return model


def _write_manifest(root: Path, models: list[UserModel]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps([asdict(m) for m in models], indent=1), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)


def with_user_models(registry: ModelRegistry, root: Path) -> ModelRegistry:
    """``registry`` plus the user models registered under ``root`` (a clashing id is skipped, logged)."""
    models = {spec.id: spec for spec in registry if not spec.user}
    for user in read_manifest(root):
        if user.name in models:
            log.warning("user model %s clashes with a packaged model id; skipped", user.name)
            continue
        models[user.name] = user.spec()
    return ModelRegistry(models=models)


def default_name(source: Path) -> str:
    """A component name from a file name: lower case, other characters as ``_``."""
    stem = re.sub(r"[^a-z0-9_.-]+", "_", source.stem.lower()).strip("_.-")
    return stem[:48] or "user_model"


def add_user_model(
    store: ModelStore, source: Path, role: str, name: str | None = None, recognizer: str | None = None
) -> ModelSpec:
    """Validate ``source`` against ``role``'s contract and copy it into the store under ``name``.

    ``recognizer`` (swappers only): the recognizer whose embeddings condition it, a packaged or user
    recognizer id; default the contract's (w600k_r50 for inswapper-style, SimSwap's encoder for
    SimSwap-style).

    Refused (``BadInput`` / ``ModelContractError``, nothing installed) when the name is taken or
    reserved, the file is one of the pinned models (``models import`` it instead) or the graph does not
    fit. The original file is never modified.
    """
    name = name or default_name(source)
    if not _NAME.match(name):
        raise BadInput(f"model name {name!r}: use 1-48 lower-case letters, digits, '_', '.' or '-'")
    if name in RESERVED_NAMES or name in store.registry.models:
        raise BadInput(f"the name {name!r} is already taken; choose another with --name")
    if not source.is_file():
        raise UnreadableFile(f"cannot add {source}: not a readable file")
    if recognizer is not None:
        if role != "swapper":
            raise BadInput("--recognizer is for swappers (the encoder whose identity space they use)")
        known = [spec.id for spec in store.registry.by_role("recognizer")]
        if recognizer not in known:
            raise BadInput(f"unknown recognizer {recognizer!r} (known: {', '.join(known)})")
    store.root.mkdir(parents=True, exist_ok=True)
    file = f"user-{name}.onnx"
    part = store.root / f"{file}.add.part"
    hasher = hashlib.sha256()
    try:
        with source.open("rb") as src, part.open("wb") as dst:
            for block in iter(lambda: src.read(1024 * 1024), b""):
                hasher.update(block)
                dst.write(block)
        digest = hasher.hexdigest()
        same = [spec for spec in store.registry if spec.sha256 == digest]
        if same and same[0].user:
            raise BadInput(f"{source.name} is already registered as the user model {same[0].id}")
        if same:
            raise BadInput(
                f"{source.name} is the packaged model {same[0].id}; install it with "
                f"`faceswap-desktop models import {source}`"
            )
        from .contracts import check_contract  # loads onnxruntime: only when a model is added

        contract = check_contract(role, part)  # validated on the copy: the checked bytes are the stored ones
        dest = store.root / file
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    model = UserModel(
        name=name,
        role=role,
        kind=contract.kind,
        file=file,
        sha256=digest,
        size=dest.stat().st_size,
        input_size=contract.input_size,
        mean=contract.mean,
        std=contract.std,
        requires_recognizer=recognizer or contract.requires_recognizer,
        layout=contract.layout,
        original_name=source.name,
        added=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    _write_manifest(store.root, [*read_manifest(store.root), model])
    store.reload_user_models()
    store.status(name)  # hash once now and cache the verdict, as an import does
    return model.spec()


def remove_user_model(store: ModelStore, name: str) -> None:
    """Unregister user model ``name`` and delete its stored copy (packaged models cannot be removed)."""
    models = read_manifest(store.root)
    entry = next((m for m in models if m.name == name), None)
    if entry is None:
        raise BadInput(f"{name!r} is not a user model (see `faceswap-desktop models list`)")
    _write_manifest(store.root, [m for m in models if m.name != name])
    (store.root / entry.file).unlink(missing_ok=True)
    store.reload_user_models()


def set_calibration(store: ModelStore, name: str, centre: float, slope: float) -> None:
    """Record the gauge calibration fitted for user recognizer ``name``."""
    models = read_manifest(store.root)
    if not any(m.name == name and m.role == "recognizer" for m in models):
        raise BadInput(f"{name!r} is not a user recognizer")
    updated = [replace(m, calibration=(centre, slope)) if m.name == name else m for m in models]
    _write_manifest(store.root, updated)


def user_model(store: ModelStore, name: str) -> UserModel:
    """The manifest entry of registered user model ``name``."""
    for model in read_manifest(store.root):
        if model.name == name:
            return model
    raise BadInput(f"{name!r} is not a user model")


def user_model_kind(store: ModelStore, name: str) -> str:
    """The wrapper kind (``inswapper``, ``arcface``...) of registered user model ``name``."""
    for model in read_manifest(store.root):
        if model.name == name:
            return model.kind
    raise BadInput(f"{name!r} is not a user model")
