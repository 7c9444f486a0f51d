"""Shared identity evaluation used by the photo/identity benchmarks and the identity floor test.

Protocol (issue #2/#6): for every shared identity, photo 0 drives the swap and photo 1 is held out. Each
source is swapped onto targets of other people; the judge is the shared MobileFaceNet ONNX recognizer
(not used by the engine). Identity ratio = mean cos(result, held-out) / mean cos(source photo, held-out).
Leakage = mean cos(result, target photo's own person embedding). Pose kept = the result's keypoints (re-
detected) within 6 degrees of roll and 0.08 of the target's yaw/pitch proxies.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.core.geometry import head_pose_proxies
from faceswap_desktop.core.identity import cosine
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.mesh.faults import FaultReport, check_swap
from faceswap_desktop.core.mesh.quality import SEAM_LIMIT, seam_ratio
from faceswap_desktop.core.pipeline import FacePipeline, FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
IDENTITY_DIR = SHARED / "media" / "images" / "identity"
MOBILEFACENET = SHARED / "models" / "recognition" / "mobilefacenet_paddlex_128d.onnx"


@dataclass
class Person:
    name: str
    photos: list[Path]
    images: list[Image] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)


@dataclass
class PairResult:
    source: str
    target: str
    cos_result_heldout: float
    cos_source_heldout: float
    cos_result_target: float
    cos_target_heldout: float
    pose_kept: bool
    seam: float
    result: Image | None = None
    faults: FaultReport | None = None
    target_image: Image | None = None


def load_people(pipeline: FacePipeline) -> list[Person]:
    people = []
    for folder in sorted(IDENTITY_DIR.iterdir()):
        photos = sorted(folder.iterdir())
        person = Person(folder.name, photos)
        for path in photos:
            image = read_image(path)
            faces = pipeline.detect(image)
            person.images.append(image)
            person.faces.append(max(faces, key=lambda f: f.width * f.height))
        people.append(person)
    return people


def pose_kept(result_face: Face | None, target_face: Face) -> bool:
    if result_face is None:
        return False
    r_roll, r_yaw, r_pitch = head_pose_proxies(result_face.keypoints_5)
    t_roll, t_yaw, t_pitch = head_pose_proxies(target_face.keypoints_5)
    # Roll is an angle: an upside-down face reads near +180 or -180 degrees, which are 0 degrees apart.
    roll = (r_roll - t_roll + 180) % 360 - 180
    return abs(roll) <= 6 and abs(r_yaw - t_yaw) <= 0.08 and abs(r_pitch - t_pitch) <= 0.08


def evaluate(
    pipeline: FacePipeline,
    judge: object,
    people: list[Person],
    settings: SwapSettings,
    targets_per_source: int = 3,
    keep_images: bool = False,
    source_photos: tuple[int, ...] = (0,),
) -> list[PairResult]:
    """Swap each person's photo 0 onto photo 0 of the next ``targets_per_source`` people.

    ``source_photos``: the person's photos that drive the swap (those the person has; photo 1 is the
    held-out one and never belongs here). ``(0, 2)`` is the several-source-photos protocol: 8 of the 10
    people have a photo 2.
    """
    if 1 in source_photos:
        raise ValueError("photo 1 is held out")
    embed = judge.embed  # type: ignore[attr-defined]
    results = []
    for i, person in enumerate(people):
        prepared = pipeline.prepare_source(
            [person.images[k] for k in source_photos if k < len(person.images)]
        )
        heldout = embed(person.images[1], person.faces[1])
        cos_source = cosine(embed(person.images[0], person.faces[0]), heldout)
        for k in range(1, targets_per_source + 1):
            other = people[(i + k) % len(people)]
            target_image, target_face = other.images[0], other.faces[0]
            out = pipeline.process_frame(
                target_image, prepared, settings, FaceSelection(), faces=[target_face], score="none"
            )
            found = pipeline.detect(out.frame)
            result_face = min(
                found, key=lambda f: np.linalg.norm(np.subtract(f.center, target_face.center)), default=None
            )
            judged_face = result_face or target_face
            result_embedding = embed(out.frame, judged_face)
            target_person = embed(other.images[1], other.faces[1])
            results.append(
                PairResult(
                    source=person.name,
                    target=other.name,
                    cos_result_heldout=cosine(result_embedding, heldout),
                    cos_source_heldout=cos_source,
                    cos_result_target=cosine(result_embedding, target_person),
                    cos_target_heldout=cosine(embed(target_image, target_face), heldout),
                    pose_kept=pose_kept(result_face, target_face),
                    seam=seam_ratio(out.frame, target_image),
                    result=out.frame if keep_images else None,
                )
            )
    return results


def summarise(results: list[PairResult]) -> dict[str, float]:
    by_source: dict[str, float] = {}
    for r in results:
        by_source[r.source] = r.cos_source_heldout
    mean_result = float(np.mean([r.cos_result_heldout for r in results]))
    mean_source = float(np.mean(list(by_source.values())))
    return {
        "pairs": len(results),
        "identity_ratio": mean_result / mean_source,
        "mean_cos_result_heldout": mean_result,
        "mean_cos_source_heldout": mean_source,
        "mean_cos_target_heldout": float(np.mean([r.cos_target_heldout for r in results])),
        "flagged": float(np.mean([bool(r.faults and r.faults.flags) for r in results])),
        "leakage": float(np.nanmean([r.cos_result_target for r in results])),
        "pose_kept": float(np.mean([r.pose_kept for r in results])),
        "closer_than_target": float(np.mean([r.cos_result_heldout > r.cos_target_heldout for r in results])),
        "seam": float(np.mean([r.seam for r in results])),
        "success_rate": float(
            np.mean(
                [
                    r.pose_kept and r.cos_result_heldout > r.cos_target_heldout and r.seam <= SEAM_LIMIT
                    for r in results
                ]
            )
        ),
    }


# --- Validation discipline (issue #19): two halves of the shared people, rotated ---------------------

HALVES: dict[str, tuple[str, ...]] = {
    "A": ("alex_lacamoire", "deepface_p01", "deepface_p03", "deepface_p05", "deepface_p07"),
    "B": ("biden", "deepface_p02", "deepface_p04", "deepface_p06", "obama"),
}
"""The people, sorted by name, alternately. Fold 1 tunes on A and validates on B; fold 2 the reverse."""

MISC_HALVES: dict[str, tuple[str, ...]] = {
    "A": (
        "occlusion_obama_partial_face.jpg",
        "pose_left_face.jpeg",
        "pose_lower_face.jpeg",
        "rotate_rot_90.jpg",
        "single_Tom_Hanks_54745.png",
        "single_kate_siegel.jpg",
    ),
    "B": (
        "occlusion_obama_partial_face2.jpg",
        "pose_right_face.png",
        "pose_rise_face.jpeg",
        "single_angelina_jolie.jpg",
        "single_paul_rudd.jpg",
        "single_shea_whigham.jpg",
    ),
}
"""Every face of ``misc/`` as a target (poses, occlusions, rotation, small and large faces), split so each
half has an occlusion, a turned head, a raised or lowered head and a small or large face."""

MISC_DIR = SHARED / "media" / "images" / "misc"
MISC_PERSON = {"occlusion_obama_partial_face.jpg": "obama", "occlusion_obama_partial_face2.jpg": "obama"}
"""Misc photos of people of the identity set: never a target of their own person."""


@dataclass
class Target:
    name: str
    person: str | None
    image: Image
    face: Face


def load_targets(pipeline: FacePipeline, people: list[Person], half: str) -> list[Target]:
    """The half's targets: photo 0 of each of its people, then its misc photos (largest face each)."""
    targets = [
        Target(f"{p.name}/0", p.name, p.images[0], p.faces[0]) for p in people if p.name in HALVES[half]
    ]
    for name in MISC_HALVES[half]:
        image = read_image(MISC_DIR / name)
        faces = pipeline.detect(image)
        if faces:
            targets.append(Target(name, MISC_PERSON.get(name), image, max(faces, key=lambda f: f.size)))
    return targets


def evaluate_half(
    pipeline: FacePipeline,
    judge: object,
    people: list[Person],
    targets: list[Target],
    settings: SwapSettings,
    half: str,
    keep_images: bool = False,
) -> list[PairResult]:
    """Each person of ``half`` (photo 0 drives, photo 1 held out) onto every target of that half that is
    not the same person; every result also goes through the fault checks (:func:`check_swap`)."""
    embed = judge.embed  # type: ignore[attr-defined]
    by_name = {p.name: p for p in people}
    results = []
    for name in HALVES[half]:
        person = by_name[name]
        prepared = pipeline.prepare_source([person.images[0]])
        heldout = embed(person.images[1], person.faces[1])
        cos_source = cosine(embed(person.images[0], person.faces[0]), heldout)
        source_face = person.faces[0]
        for target in targets:
            if target.person == name:
                continue
            out = pipeline.process_frame(
                target.image, prepared, settings, FaceSelection(), faces=[target.face], score="none"
            )
            found = pipeline.detect(out.frame)
            result_face = min(
                found,
                key=lambda f: np.linalg.norm(np.subtract(f.center, target.face.center)),
                default=None,
            )
            result_embedding = embed(out.frame, result_face or target.face)
            other = by_name.get(target.person or "")
            assert target.face.landmarks_478 is not None and source_face.landmarks_478 is not None
            results.append(
                PairResult(
                    source=name,
                    target=target.name,
                    cos_result_heldout=cosine(result_embedding, heldout),
                    cos_source_heldout=cos_source,
                    cos_result_target=(
                        cosine(result_embedding, embed(other.images[1], other.faces[1]))
                        if other is not None
                        else float("nan")
                    ),
                    cos_target_heldout=cosine(embed(target.image, target.face), heldout),
                    pose_kept=pose_kept(result_face, target.face),
                    seam=seam_ratio(out.frame, target.image),
                    result=out.frame if keep_images else None,
                    faults=check_swap(
                        out.frame,
                        target.image,
                        target.face.landmarks_478,
                        target.face.size,
                        person.images[0],
                        source_face.landmarks_478,
                        source_face.size,
                    ),
                    target_image=target.image if keep_images else None,
                )
            )
    return results
