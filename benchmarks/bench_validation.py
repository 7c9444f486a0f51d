"""Identity, pose, seam and fault checks on both halves of the shared people (issue #19's protocol).

Run: ``.venv/bin/python benchmarks/bench_validation.py [--set key=value ...] [--pairs] [--strips DIR]``.

The 10 identity people are split into halves A and B (``identity_eval.HALVES``), and so are the misc
photos (poses, occlusions, rotation, small and large faces). Each half's people are swapped onto every
target of the same half (the other people's photo 0 and the half's misc photos): ~50 pairs per half.
Fold 1 tunes on A and validates on B, fold 2 the reverse; a change wins only if it helps the half it was
not tuned on. Every result also goes through the fault checks (``core/mesh/faults.py``); ``--pairs``
prints each pair's measures and flags, ``--strips`` writes one strip per source (source, then each
target over its result) as small JPEGs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_eval import (
    HALVES,
    MOBILEFACENET,
    PairResult,
    Target,
    evaluate_half,
    load_people,
    load_targets,
    summarise,
)

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.inference.onnx_recognizer import OnnxRecognizer

TILE = 160


def _parse(pairs: list[str]) -> SwapSettings:
    settings = SwapSettings()
    for item in pairs:
        key, _, value = item.partition("=")
        current = getattr(settings, key)
        parsed: object = type(current)(value) if not isinstance(current, bool) else value == "true"
        settings = settings.replace(**{key: parsed})
    return settings


def _tile(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    half = max(x1 - x0, y1 - y0) * 0.85
    scale = TILE / (2 * half)
    matrix = np.array(
        [[scale, 0, TILE / 2 - (x0 + x1) / 2 * scale], [0, scale, TILE / 2 - (y0 + y1) / 2 * scale]]
    )
    return cv2.warpAffine(image, matrix, (TILE, TILE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def write_strips(folder: Path, half: str, results: list[PairResult], targets: list[Target], people) -> None:  # type: ignore[no-untyped-def]
    """One JPEG per source of ``half``: the source's tile, then per target its tile over the result's,
    with the fault flags written under it."""
    folder.mkdir(parents=True, exist_ok=True)
    by_target = {t.name: t for t in targets}
    by_person = {p.name: p for p in people}
    for source in HALVES[half]:
        person = by_person[source]
        columns = [
            np.concatenate(
                [_tile(person.images[0], person.faces[0].box), np.full((TILE, TILE, 3), 255, np.uint8)]
            )
        ]
        for r in (r for r in results if r.source == source):
            target = by_target[r.target]
            assert r.result is not None
            column = np.concatenate([_tile(target.image, target.face.box), _tile(r.result, target.face.box)])
            flags = ",".join(r.faults.flags) if r.faults else ""
            label = f"{r.target.split('.')[0][:18]}"
            cv2.putText(
                column, label, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA
            )
            if flags:
                cv2.putText(
                    column,
                    flags,
                    (3, 2 * TILE - 6),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.38,
                    (0, 0, 255),
                    1,
                    cv2.LINE_AA,
                )
            columns.append(column)
        strip = np.concatenate(columns, axis=1)
        cv2.imwrite(str(folder / f"{half}_{source}.jpg"), strip, [cv2.IMWRITE_JPEG_QUALITY, 80])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", default=[], help="a SwapSettings field, key=value")
    parser.add_argument("--pairs", action="store_true", help="print every pair's measures and flags")
    parser.add_argument("--strips", type=Path, default=None, help="write strips of every pair here")
    parser.add_argument("--halves", default="AB")
    args = parser.parse_args()
    settings = _parse(args.set)
    context = create_context()
    judge = OnnxRecognizer(MOBILEFACENET, "MobileFaceNet PaddleX (128-d)", mean=127.5, std=128.0)
    pipeline = context.build_pipeline(judge=None)
    people = load_people(pipeline)
    print(f"settings: {args.set or 'defaults'}")
    print(
        f"{'half':<6}{'pairs':>6}{'ratio':>7}{'leak':>7}{'pose':>7}{'seam':>7}{'success':>9}{'flagged':>9}{'s':>5}"
    )
    for half in args.halves:
        targets = load_targets(pipeline, people, half)
        start = time.perf_counter()
        results = evaluate_half(
            pipeline, judge, people, targets, settings, half, keep_images=bool(args.strips)
        )
        s = summarise(results)
        print(
            f"{half:<6}{s['pairs']:>6}{s['identity_ratio']:>7.3f}{s['leakage']:>7.3f}{s['pose_kept']:>7.2f}"
            f"{s['seam']:>7.2f}{s['success_rate']:>9.2f}{s['flagged']:>9.2f}"
            f"{time.perf_counter() - start:>5.0f}"
        )
        counts: dict[str, int] = {}
        for r in results:
            for flag in r.faults.flags if r.faults else ():
                counts[flag] = counts.get(flag, 0) + 1
        misses = [f"{r.source}->{r.target}" for r in results if not r.pose_kept]
        print(f"      flags: {counts or 'none'}; pose misses: {misses}")
        if args.pairs:
            for r in results:
                f = r.faults
                assert f is not None
                print(
                    f"      {r.source:>15} -> {r.target:<34} cos {r.cos_result_heldout:6.3f}"
                    f" pose {int(r.pose_kept)}"
                    f" seam {r.seam:4.2f} spots {f.forehead_spots:.4f} light {f.forehead_light:.4f}"
                    f" eyes {f.eye_extra_edges:+.2f}"
                    f" tone {f.tone:4.1f} soft {f.softness:4.2f} {','.join(f.flags)}"
                )
        if args.strips:
            write_strips(args.strips, half, results, targets, people)


if __name__ == "__main__":
    main()
