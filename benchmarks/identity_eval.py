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
    return abs(r_roll - t_roll) <= 6 and abs(r_yaw - t_yaw) <= 0.08 and abs(r_pitch - t_pitch) <= 0.08


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
        "leakage": float(np.mean([r.cos_result_target for r in results])),
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
