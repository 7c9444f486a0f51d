"""Batch planning: sources x targets from files, folders and globs, and each output's name.

Each ``--source`` is one person (a folder or glob of several photos of that person counts as one).
Every person is swapped onto every target; the output's name follows a pattern (``{target}`` and
``{source}``: the file names without extension, ``{n}``: the item's number from 1), with the target's
own extension for photos (PNG when it cannot be written, as with BMP) and the chosen container for
videos. A plan whose names collide is refused before anything renders.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..core.errors import BadInput
from ..core.media.image_io import WRITE_EXTENSIONS
from ..core.media.video_io import VIDEO_EXTENSIONS

ItemKind = Literal["photo", "video"]

PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
"""What a folder given as a target or source contributes (a named file is taken whatever it is)."""
DEFAULT_NAME = "{target}_swapped"
DEFAULT_NAME_PEOPLE = "{target}_{source}_swapped"
"""The default name when several people are swapped onto each target."""
_GLOB_CHARACTERS = set("*?[")


@dataclass(frozen=True)
class BatchItem:
    """One output of a batch: a person's photos onto one target."""

    name: str
    """The output's file name, unique in the batch (its key)."""
    kind: ItemKind
    target: Path
    sources: tuple[Path, ...]
    output: Path
    spec: dict[str, Any] | None = None
    """The item's job (:meth:`~.job_specs.JobSpec.to_dict`); None when it cannot be described."""
    error: str = ""
    """Why the item cannot run (a bad option for this kind of target, a folder given as a file...)."""


def expand(pattern: str | Path, extensions: Sequence[str]) -> list[Path]:
    """The files a command-line entry names: a file as it is, a folder's files with ``extensions``
    (sorted, not recursive), or a glob's matches (sorted; a matching folder gives its files). A folder
    or glob that names nothing is an error; a missing file is kept (its item fails with the reason, the
    rest of the batch renders)."""
    path = Path(pattern)
    if path.is_dir():
        found = _folder_files(path, extensions)
        if not found:
            raise BadInput(f"{path} holds no {'/'.join(e.lstrip('.') for e in extensions)} file")
        return found
    text = str(pattern)
    if not path.exists() and _GLOB_CHARACTERS & set(text):
        matches: list[Path] = []
        for match in sorted(Path(m) for m in glob.glob(text)):
            matches.extend(_folder_files(match, extensions) if match.is_dir() else [match])
        if not matches:
            raise BadInput(f"{text} matches no file")
        return matches
    return [path]


def _folder_files(folder: Path, extensions: Sequence[str]) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in extensions and not p.name.startswith(".")
    )


def expand_targets(patterns: Sequence[str | Path]) -> list[Path]:
    """Every target, in the order given, each once."""
    targets: list[Path] = []
    for pattern in patterns:
        targets.extend(expand(pattern, (*PHOTO_EXTENSIONS, *VIDEO_EXTENSIONS)))
    return list(dict.fromkeys(targets))


def expand_people(patterns: Sequence[str | Path]) -> list[tuple[Path, ...]]:
    """One person per entry: a photo, or the photos of a folder or glob."""
    return [tuple(expand(pattern, PHOTO_EXTENSIONS)) for pattern in patterns]


def output_extension(kind: ItemKind, target: Path, container: str) -> str:
    """A photo keeps its extension where it can be written (else PNG); a video gets ``container``."""
    if kind == "video":
        return "." + container.lstrip(".")
    suffix = target.suffix.lower()
    return suffix if suffix in WRITE_EXTENSIONS else ".png"


def output_name(pattern: str, target: Path, sources: Sequence[Path], number: int, extension: str) -> str:
    """The output file name for ``pattern``; refuses patterns that name a folder or nothing."""
    try:
        stem = pattern.format(target=target.stem, source=sources[0].stem if sources else "", n=number)
    except (KeyError, IndexError, ValueError) as error:
        raise BadInput(f"--name {pattern!r}: use {{target}}, {{source}} and {{n}} only ({error})") from None
    if not stem.strip() or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise BadInput(f"--name {pattern!r} gives the file name {stem!r}")
    return stem + extension


ItemDescriber = Callable[[tuple[Path, ...], Path, Path, ItemKind], dict[str, Any]]
"""Builds an item's job (``JobSpec.to_dict()``) from (sources, target, output, kind), with the batch's
options; raises :class:`~..core.errors.FaceswapError` when they do not apply to this target."""
KindOf = Callable[[Path], ItemKind]


def plan_batch(
    people: Sequence[tuple[Path, ...]],
    targets: Sequence[Path],
    output_dir: Path,
    describe: ItemDescriber,
    kind_of: KindOf,
    name: str | None = None,
    container: str = "mp4",
) -> list[BatchItem]:
    """Every (person, target) pair as an item; a target that cannot be used becomes a failed item."""
    if not people:
        raise BadInput("at least one --source is needed")
    if not targets:
        raise BadInput("at least one --target is needed")
    pattern = name or (DEFAULT_NAME if len(people) == 1 else DEFAULT_NAME_PEOPLE)
    items: list[BatchItem] = []
    number = 0
    for target in targets:
        try:
            kind: ItemKind = kind_of(target)
            error = ""
        except BadInput as problem:
            kind, error = ("video" if target.suffix.lower() in VIDEO_EXTENSIONS else "photo"), str(problem)
        for sources in people:
            number += 1
            file_name = output_name(
                pattern, target, sources, number, output_extension(kind, target, container)
            )
            output = output_dir / file_name
            spec, reason = None, error
            if not reason:
                try:
                    spec = describe(sources, target, output, kind)
                except BadInput as problem:
                    reason = str(problem)
            items.append(BatchItem(file_name, kind, target, sources, output, spec, reason))
    _refuse_collisions(items, pattern)
    return items


def _refuse_collisions(items: Sequence[BatchItem], pattern: str) -> None:
    seen: dict[str, BatchItem] = {}
    for item in items:
        key = item.name.lower()  # case-insensitive file systems (Windows, macOS) would collide too
        if key in seen:
            other = seen[key]
            raise BadInput(
                f"--name {pattern!r} gives {item.name} to both {other.target.name} and {item.target.name}"
                + (" (add {source} or {n})" if other.target == item.target else " (add {n})")
            )
        seen[key] = item
