"""The model store: downloads, imports and verifies model files under the user's data folder.

A file is loadable only after its size and sha256 match the registry; the verdict is cached by
(size, mtime) in ``verified.json`` so a 500 MB model is hashed once, not on every load. A file that
fails verification is moved to ``quarantine/`` and never loaded.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from faceswap_desktop.core.cancel import CancelToken
from faceswap_desktop.core.errors import BadInput, ModelIntegrityError, ModelMissing, UnreadableFile

from . import onnx_proto
from .download_types import DownloadPolicy, FatalUrlError, FetchResult, ProgressCallback, RetryableError
from .registry import ModelRegistry, ModelSpec
from .user_models import with_user_models

if TYPE_CHECKING:
    import urllib.request

log = logging.getLogger(__name__)

DATA_DIR_ENV = "FACESWAP_DATA_DIR"
_CACHE_FILE = "verified.json"


class ModelDownloadError(ModelMissing):
    """Every mirror of a model failed; the message says why (the model stays missing)."""


class ModelStatus(enum.Enum):
    """What is on disk for one model."""

    MISSING = "missing"
    OK = "ok"
    CORRUPT = "corrupt"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$FACESWAP_DATA_DIR`` if set, else the per-user data folder of the app."""
    env = os.environ if environ is None else environ
    override = env.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("faceswap-desktop"))


def missing_message(model_id: str, user: bool = False) -> str:
    """The one-line hint shown wherever a model is absent."""
    if user:
        return (
            f"model {model_id!r} (a user model) is not installed; register its file again with "
            f"`faceswap-desktop models add PATH --role ROLE --name {model_id}`"
        )
    return (
        f"model {model_id!r} is not installed; run `faceswap-desktop models download {model_id}` "
        f"(or `faceswap-desktop models import {model_id} FILE`)"
    )


class ModelStore:
    """Model files of one registry under ``root`` (default: ``<data dir>/models``)."""

    def __init__(
        self,
        registry: ModelRegistry,
        root: Path | None = None,
        policy: DownloadPolicy | None = None,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        self.root = (root or default_data_dir() / "models").absolute()
        self.registry = with_user_models(registry, self.root)
        self.policy = policy or DownloadPolicy()
        # Built on the first download: its TLS context loads the system's CA certificates (~20 ms of
        # CPU), which every command that only reads installed models (a swap, an export) would pay.
        self._opener = opener
        self._lock = threading.Lock()
        self._stamps: dict[str, dict[str, int | str]] | None = None

    def reload_user_models(self) -> None:
        """Re-read the user models' manifest (after ``models add`` / remove)."""
        self.registry = with_user_models(self.registry, self.root)

    def identify(self, source: Path) -> ModelSpec:
        """The packaged model whose pinned sha256 ``source`` has; :class:`BadInput` for any other file."""
        if not source.is_file():
            raise UnreadableFile(f"cannot import {source}: not a readable file")
        digest = sha256_file(source)
        for spec in self.registry:
            if spec.sha256 == digest and not spec.user:
                return spec
        for spec in self.registry:
            if spec.sha256 == digest:
                raise BadInput(f"{source.name} is already registered as your model {spec.id!r}")
        raise BadInput(
            f"{source.name} (sha256 {digest[:12]}…) is not a known model file; register your own model "
            "with `faceswap-desktop models add PATH --role ROLE`"
        )

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    def path(self, model_id: str) -> Path:
        """Where ``model_id``'s file lives (whether or not it is installed)."""
        return self.root / self.registry.get(model_id).file

    def status(self, model_id: str) -> ModelStatus:
        """Missing / ok / corrupt, using the cached verdict while size and mtime are unchanged."""
        spec = self.registry.get(model_id)
        path = self.root / spec.file
        if not path.is_file():
            return ModelStatus.MISSING
        return ModelStatus.OK if self._is_verified(spec, path, use_cache=True) else ModelStatus.CORRUPT

    def verify(self, model_id: str) -> ModelStatus:
        """Re-hash the installed file; a corrupt file is moved to quarantine."""
        spec = self.registry.get(model_id)
        path = self.root / spec.file
        if not path.is_file():
            return ModelStatus.MISSING
        if self._is_verified(spec, path, use_cache=False):
            return ModelStatus.OK
        self._quarantine(path, "failed verification")
        return ModelStatus.CORRUPT

    def path_for_loading(self, model_id: str) -> Path:
        """The verified path of an installed model; the only way wrappers should get a model file.

        Raises :class:`ModelMissing` (naming the download command) when it is absent and
        :class:`ModelIntegrityError` when it fails verification (it is then quarantined) or references
        external data outside the store.
        """
        spec = self.registry.get(model_id)
        path = self.root / spec.file
        if not path.is_file():
            raise ModelMissing(missing_message(model_id, spec.user))
        if not self._is_verified(spec, path, use_cache=True):
            moved = self._quarantine(path, "failed verification")
            raise ModelIntegrityError(
                f"model {model_id!r} failed sha256/size verification and was moved to {moved}; "
                f"run `faceswap-desktop models download {model_id}`"
            )
        self._check_external_data(spec, path)
        return path

    def download(
        self, model_id: str, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> Path:
        """Download (resuming a ``.part`` file if present), verify and install ``model_id``."""
        spec = self.registry.get(model_id)
        if self.status(model_id) is ModelStatus.OK:
            return self.root / spec.file
        if spec.user:
            raise ModelDownloadError(missing_message(model_id, user=True))
        self.root.mkdir(parents=True, exist_ok=True)
        part = self.root / f"{spec.file}.part"
        from .download import fetch_url  # the HTTP client and TLS: only for a download

        token = cancel or CancelToken()
        failures: list[str] = []
        for url in spec.urls:
            try:
                result = fetch_url(
                    url,
                    part,
                    label=model_id,
                    expected_size=spec.size,
                    policy=self.policy,
                    opener=self._download_opener(),
                    cancel=token,
                    progress=progress,
                )
            except (FatalUrlError, RetryableError) as error:
                log.warning("%s: %s failed: %s", model_id, url, error)
                failures.append(str(error))
                continue
            try:
                return self._install(spec, part, result)
            except ModelIntegrityError as error:
                failures.append(str(error))
                if url == spec.urls[-1]:
                    raise
        raise ModelDownloadError(f"could not download {model_id!r}: {failures[-1] if failures else 'no URL'}")

    def _download_opener(self) -> urllib.request.OpenerDirector:
        """The opener given to the store, else one made now (once)."""
        from .download import build_opener

        with self._lock:
            if self._opener is None:
                self._opener = build_opener(self.policy)
            return self._opener

    def import_file(self, model_id: str, source: Path) -> Path:
        """Copy a user-supplied file into the store after verifying it (the original is untouched)."""
        spec = self.registry.get(model_id)
        if not source.is_file():
            raise UnreadableFile(f"cannot import {model_id!r}: {source} is not a readable file")
        self.root.mkdir(parents=True, exist_ok=True)
        part = self.root / f"{spec.file}.import.part"
        hasher = hashlib.sha256()
        with source.open("rb") as src, part.open("wb") as dst:
            for block in iter(lambda: src.read(1024 * 1024), b""):
                hasher.update(block)
                dst.write(block)
        return self._install(spec, part, FetchResult(part.stat().st_size, hasher.hexdigest()))

    # -- verification -------------------------------------------------------------------------------

    def _install(self, spec: ModelSpec, part: Path, result: FetchResult) -> Path:
        problem = _mismatch(spec, result.size, result.sha256)
        if problem:
            moved = self._quarantine(part, problem)
            raise ModelIntegrityError(f"model {spec.id!r}: {problem}; the file was moved to {moved}")
        dest = self.root / spec.file
        os.replace(part, dest)  # atomic on one filesystem: a reader sees the old file or the new one
        self._remember(spec.file, dest, result.sha256)
        log.info("installed %s at %s", spec.id, dest)
        return dest

    def _is_verified(self, spec: ModelSpec, path: Path, use_cache: bool) -> bool:
        stat = path.stat()
        stamp = self._load_stamps().get(spec.file)
        if (
            use_cache
            and stamp is not None
            and stamp.get("size") == stat.st_size
            and stamp.get("mtime_ns") == stat.st_mtime_ns
        ):
            return stamp.get("sha256") == spec.sha256
        digest = sha256_file(path)
        if _mismatch(spec, stat.st_size, digest):
            self._forget(spec.file)
            return False
        self._remember(spec.file, path, digest)
        return True

    def _check_external_data(self, spec: ModelSpec, path: Path) -> None:
        if not spec.file.endswith(".onnx"):
            return
        try:
            locations = onnx_proto.external_data_locations(path)
        except (onnx_proto.OnnxFormatError, ValueError) as error:
            raise ModelIntegrityError(f"model {spec.id!r} is not a readable ONNX file: {error}") from error
        root = self.root.resolve()
        for location in locations:
            target = (path.parent / location).resolve()
            if Path(location).is_absolute() or not target.is_relative_to(root):
                raise ModelIntegrityError(
                    f"model {spec.id!r} references external data outside the model store "
                    f"({location}); refusing it"
                )

    def _quarantine(self, path: Path, reason: str) -> Path:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        name = path.name.removesuffix(".import.part").removesuffix(".part")
        target = self.quarantine_dir / f"{name}.{time.strftime('%Y%m%d-%H%M%S')}.{os.getpid()}"
        shutil.move(str(path), target)
        self._forget(name)
        log.warning("quarantined %s (%s) at %s", path.name, reason, target)
        return target

    # -- verification cache -------------------------------------------------------------------------

    def _load_stamps(self) -> dict[str, dict[str, int | str]]:
        with self._lock:
            if self._stamps is None:
                try:
                    loaded = json.loads((self.root / _CACHE_FILE).read_text(encoding="utf-8"))
                    self._stamps = loaded if isinstance(loaded, dict) else {}
                except (OSError, ValueError):
                    self._stamps = {}
            return self._stamps

    def _remember(self, file: str, path: Path, digest: str) -> None:
        stat = path.stat()
        stamps = self._load_stamps()
        with self._lock:
            stamps[file] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
            self._save(stamps)

    def _forget(self, file: str) -> None:
        stamps = self._load_stamps()
        with self._lock:
            if stamps.pop(file, None) is not None:
                self._save(stamps)

    def _save(self, stamps: dict[str, dict[str, int | str]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{_CACHE_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(stamps, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.root / _CACHE_FILE)


def _mismatch(spec: ModelSpec, size: int, digest: str) -> str:
    if spec.size is not None and size != spec.size:
        return f"size is {size} bytes, expected {spec.size}"
    if digest != spec.sha256:
        return f"sha256 is {digest}, expected {spec.sha256}"
    return ""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            hasher.update(block)
    return hasher.hexdigest()
