"""Per-zone diagnosis of the fault check's tone flag (issue #19) on the validation halves' pairs.

Run: ``.venv/bin/python benchmarks/tone_zones.py [--halves AB] [--only SRC:TGT ...] [--mod mod.NAME=v]
[--strips DIR]``.

For every pair (or the ``--only`` ones) and each tone zone (mid-forehead, right cheek, left cheek, as
``faults._skin_zones``) it prints the result's delta E against the target, split into lightness (dL) and
colour (dC = the a*/b* distance), and what may explain it:

- ``skin``: the share of the target zone's pixels that look like skin (``skin_likelihood`` > 0.3): a low
  share means the check measures the target's hair, beard or glasses there;
- ``tgtL``: the target zone's lightness against the mean of its three zones (a zone in shadow reads low);
- ``srcL``: the same in the source photo's own zones (its own shading);
- ``resL``: the same in the result: when it follows ``srcL`` and not ``tgtL``, the source's shading was kept.

``--mod`` sets a module constant of ``faceswap_desktop.core.mesh`` (e.g. ``tone.RELIGHT=false``).
``--strips DIR`` writes, per pair, the target's and the result's crops side by side (PNG).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_eval import HALVES, load_people, load_targets

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.mesh import faults
from faceswap_desktop.core.mesh.skin_extension import skin_likelihood, skin_reference
from faceswap_desktop.core.mesh.warp import Roi
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings

ZONES = ("forehead", "r_cheek", "l_cheek")


def _set_module(item: str) -> None:
    name, _, value = item.partition("=")
    module_name, _, attribute = name.rpartition(".")
    module = importlib.import_module(f"faceswap_desktop.core.mesh.{module_name}")
    current = getattr(module, attribute)
    parsed: object
    if isinstance(current, bool):
        parsed = value.lower() == "true"
    elif current is None or isinstance(current, tuple):
        parsed = eval(value)  # a developer's command line
    else:
        parsed = type(current)(value)
    setattr(module, attribute, parsed)


def _zone_means(canvas: faults._Canvas, zones: list[np.ndarray]) -> np.ndarray:
    lab = faults._lab(canvas.image)
    return np.array([lab[z > 0].mean(0) if z.sum() >= 16 else np.full(3, np.nan) for z in zones])


def _skin_share(canvas: faults._Canvas, zones: list[np.ndarray]) -> list[float]:
    shape = canvas.image.shape[:2]
    reference = skin_reference(canvas.landmarks, Roi(0, 0, shape[1], shape[0]), canvas.size)
    likelihood = skin_likelihood(canvas.image, reference, canvas.size)
    return [float((likelihood[z > 0] > 0.3).mean()) if z.sum() else float("nan") for z in zones]


def diagnose(result, target, target_face, source, source_face) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    """Per zone: delta E, dL, dC, the target zone's skin share and the three relative lightnesses."""
    tc = faults._upright(target, target_face.landmarks_478, target_face.size)
    rc = faults._upright(result, target_face.landmarks_478, target_face.size, tc.matrix)
    sc = faults._upright(source, source_face.landmarks_478, source_face.size)
    zones = faults._skin_zones(tc)
    tm, rm, sm = _zone_means(tc, zones), _zone_means(rc, zones), _zone_means(sc, faults._skin_zones(sc))
    skin = _skin_share(tc, zones)
    rows = []
    for k in range(3):
        d = rm[k] - tm[k]
        rows.append(
            {
                "dE": float(np.linalg.norm(d)),
                "dL": float(d[0]),
                "dC": float(np.linalg.norm(d[1:])),
                "skin": skin[k],
                "tgtL": float(tm[k, 0] - np.nanmean(tm[:, 0])),
                "srcL": float(sm[k, 0] - np.nanmean(sm[:, 0])),
                "resL": float(rm[k, 0] - np.nanmean(rm[:, 0])),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--halves", default="AB")
    parser.add_argument("--only", action="append", default=[], help="SOURCE:TARGET (target name prefix)")
    parser.add_argument("--mod", action="append", default=[], help="module.CONSTANT=value")
    parser.add_argument("--strips", type=Path, default=None)
    parser.add_argument("--flagged", action="store_true", help="print only pairs over the tone limit")
    args = parser.parse_args()
    for item in args.mod:
        _set_module(item)
    settings = SwapSettings()
    pipeline = create_context().build_pipeline(judge=None)
    people = load_people(pipeline)
    by_name = {p.name: p for p in people}
    wanted = [tuple(o.split(":", 1)) for o in args.only]
    if args.strips:
        args.strips.mkdir(parents=True, exist_ok=True)
    print(f"mods: {args.mod or 'none'}")
    total = {"pairs": 0, "flagged": 0}
    for half in args.halves:
        targets = load_targets(pipeline, people, half)
        flagged = 0
        count = 0
        for name in HALVES[half]:
            person = by_name[name]
            selected = [
                t
                for t in targets
                if t.person != name
                and (not wanted or any(s == name and t.name.startswith(p) for s, p in wanted))
            ]
            if not selected:
                continue
            prepared = pipeline.prepare_source([person.images[0]])
            for target in selected:
                out = pipeline.process_frame(
                    target.image, prepared, settings, FaceSelection(), faces=[target.face], score="none"
                )
                rows = diagnose(out.frame, target.image, target.face, person.images[0], person.faces[0])
                worst = max(range(3), key=lambda k: rows[k]["dE"] if np.isfinite(rows[k]["dE"]) else -1)
                is_flagged = rows[worst]["dE"] > faults.TONE_LIMIT
                count += 1
                flagged += int(is_flagged)
                if args.flagged and not is_flagged:
                    continue
                cells = " ".join(
                    f"{ZONES[k][:2]} {r['dE']:5.1f}(L{r['dL']:+5.1f} C{r['dC']:4.1f} sk{r['skin']:.2f}"
                    f" t{r['tgtL']:+5.1f} s{r['srcL']:+5.1f} r{r['resL']:+5.1f})"
                    for k, r in enumerate(rows)
                )
                mark = "TONE" if is_flagged else "    "
                print(f"{half} {mark} {name:>14} -> {target.name[:26]:<26} {cells}", flush=True)
                if args.strips:
                    box = target.face.box
                    x0, y0, x1, y1 = (int(v) for v in box)
                    pad = int(0.3 * (x1 - x0))
                    ys = slice(max(y0 - pad, 0), y1 + pad)
                    xs = slice(max(x0 - pad, 0), x1 + pad)
                    pair = np.concatenate([target.image[ys, xs], out.frame[ys, xs]], axis=1)
                    scale = 320 / pair.shape[0]
                    pair = cv2.resize(pair, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                    tag = f"{half}_{name}__{target.name.split('.')[0].replace('/', '_')}.png"
                    cv2.imwrite(str(args.strips / tag), pair)
        print(f"{half}: tone flagged {flagged} of {count}", flush=True)
        total["pairs"] += count
        total["flagged"] += flagged


if __name__ == "__main__":
    main()
