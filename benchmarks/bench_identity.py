"""Likeness ablation: what each change of the mesh engine gives, judged by the independent MobileFaceNet.

Run: ``.venv/bin/python benchmarks/bench_identity.py [--skip-search]``. For each configuration it prints the
identity ratio, leakage, pose kept, seam ratio and success rate on the shared identity set (protocol in
identity_eval.py). One row swaps from several source photos (photos 0 and 2 where a person has a photo 2,
see MULTI_PHOTO_ROW), and the ratio of its 21 such pairs is printed beside the same pairs' ratio from photo
0 alone. The last row runs 'maximise likeness' per pair, optimised with the dlib judge.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_eval import MOBILEFACENET, PairResult, evaluate, load_people, pose_kept, summarise

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.identity import cosine
from faceswap_desktop.core.likeness import maximize_likeness
from faceswap_desktop.core.mesh.quality import seam_ratio
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer

CLASSIC = SwapSettings(shape_transfer=0, eyes="target", mask_feather=8, skin_extension=0)
BEFORE_SKIN = SwapSettings(skin_extension=0)
DEFAULTS_ROW = "+ skin extension 20 = current defaults"
ROWS: list[tuple[str, SwapSettings]] = [
    ("classic texture warp (no shape, target eyes, feather 8)", CLASSIC),
    ("+ source eyes", CLASSIC.replace(eyes="source")),
    ("+ face shape 70 (3D-aligned, pose-keeping)", CLASSIC.replace(eyes="source", shape_transfer=70)),
    ("+ feather 5", BEFORE_SKIN),
    (DEFAULTS_ROW, SwapSettings()),
    ("defaults, skin extension 10", SwapSettings(skin_extension=10)),
    ("defaults, skin extension 30", SwapSettings(skin_extension=30)),
    ("defaults, shape 100", SwapSettings(shape_transfer=100)),
    ("defaults, colour transfer lab_mean", SwapSettings(color_transfer="lab_mean")),
    ("defaults, colour transfer none", SwapSettings(color_transfer="none")),
    ("defaults, colour transfer lowfreq", SwapSettings(color_transfer="lowfreq")),
    ("defaults, multi-band blend", SwapSettings(blend_mode="multiband")),
    ("defaults, Poisson blend", SwapSettings(blend_mode="poisson")),
]


MULTI_PHOTO_ROW = "defaults, photos 0+2 as sources (merged texture)"
"""The several-source-photos protocol: each person's photos 0 and 2 drive the swap where they have a
photo 2 (8 of the 10; photo 1 stays held out), photo 0 alone otherwise. The ratio's denominator is still
cos(photo 0, held-out), so the row compares with the single-photo rows above."""


def subset_ratio(results: list[PairResult], sources: set[str]) -> float:
    """The identity ratio over the pairs whose source is in ``sources``."""
    chosen = [r for r in results if r.source in sources]
    by_source = {r.source: r.cos_source_heldout for r in chosen}
    return float(np.mean([r.cos_result_heldout for r in chosen]) / np.mean(list(by_source.values())))


def searched(context, judge, people) -> list[PairResult]:  # type: ignore[no-untyped-def]
    """Every pair with settings from 'maximise likeness' (dlib-optimised), judged by ``judge``."""
    scoring = context.build_pipeline(judge="dlib")
    plain = context.build_pipeline(judge=None)
    results = []
    for i, person in enumerate(people):
        prepared = scoring.prepare_source([person.images[0]])
        heldout = judge.embed(person.images[1], person.faces[1])
        cos_source = cosine(judge.embed(person.images[0], person.faces[0]), heldout)
        for k in (1, 2, 3):
            other = people[(i + k) % len(people)]
            image, face = other.images[0], other.faces[0]
            best = maximize_likeness(scoring, image, prepared, SwapSettings(), FaceSelection(), faces=[face])
            out = plain.process_frame(
                image, prepared, best.best.settings, FaceSelection(), faces=[face], score="none"
            ).frame
            found = plain.detect(out)
            result_face = min(
                found, key=lambda f: np.linalg.norm(np.subtract(f.center, face.center)), default=None
            )
            embedding = judge.embed(out, result_face or face)
            results.append(
                PairResult(
                    source=person.name,
                    target=other.name,
                    cos_result_heldout=cosine(embedding, heldout),
                    cos_source_heldout=cos_source,
                    cos_result_target=cosine(embedding, judge.embed(other.images[1], other.faces[1])),
                    cos_target_heldout=cosine(judge.embed(image, face), heldout),
                    pose_kept=pose_kept(result_face, face),
                    seam=seam_ratio(out, image),
                )
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-search", action="store_true", help="skip the slow 'maximise likeness' row")
    args = parser.parse_args()
    context = create_context()
    judge = OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)
    people = load_people(context.build_pipeline(judge=None))
    header = f"{'configuration':<58}{'ratio':>7}{'leak':>7}{'pose':>7}{'seam':>7}{'success':>9}{'s':>6}"
    print(header)
    rows = [
        (name, lambda s=settings: evaluate(context.build_pipeline(judge=None), judge, people, s))
        for name, settings in ROWS
    ]
    rows.append(
        (
            MULTI_PHOTO_ROW,
            lambda: evaluate(
                context.build_pipeline(judge=None), judge, people, SwapSettings(), source_photos=(0, 2)
            ),
        )
    )
    if not args.skip_search:
        rows.append(
            ("maximise likeness (dlib-optimised, per pair)", lambda: searched(context, judge, people))
        )
    results: dict[str, list[PairResult]] = {}
    for name, run in rows:
        start = time.perf_counter()
        results[name] = run()
        summary = summarise(results[name])
        print(
            f"{name:<58}{summary['identity_ratio']:>7.3f}{summary['leakage']:>7.3f}{summary['pose_kept']:>7.2f}"
            f"{summary['seam']:>7.2f}{summary['success_rate']:>9.2f}{time.perf_counter() - start:>6.0f}"
        )
    with_third = {p.name for p in people if len(p.images) > 2}
    pairs = sum(r.source in with_third for r in results[MULTI_PHOTO_ROW])
    print(
        f"the {pairs} pairs whose source has a photo 2:"
        f" ratio {subset_ratio(results[DEFAULTS_ROW], with_third):.3f} with photo 0 alone,"
        f" {subset_ratio(results[MULTI_PHOTO_ROW], with_third):.3f} with photos 0+2"
    )


if __name__ == "__main__":
    main()
