"""The similarity distributions behind the cast clustering threshold (``app/cast.py``).

Scans a clip with clustering off (every track its own person), then prints, per track: its frames,
mean face size and the grey-level contrast of the views it was embedded from; and for every pair of
tracks that could join (never in one frame together) their average-linkage cosine and the overlap of
their clothing (``core/video/appearance.py``), with the clip's clothing bar (the most alike clothing of
two tracks seen in one frame). With ``--thumbnails
DIR`` each track's best view is saved as ``<clip>_track_<n>.png`` so that tracks can be labelled by eye.

    PYTHONPATH=$PWD python benchmarks/cast_similarity.py CLIP [--thumbnails DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap_desktop.app import cast as cast_module
from faceswap_desktop.app.cast import CastOptions, scan_cast
from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.video_session import tracker_embedder
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.video.appearance import bhattacharyya, clothing_bar, mean_descriptor
from faceswap_desktop.core.video.cast import grey_stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--thumbnails", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    context = create_context()
    embedder = tracker_embedder(context.recognizer, "dlib")
    assert embedder is not None
    contrast: dict[int, tuple[float, float]] = {}

    class Recording:
        name = embedder.name

        def embed(self, image: Any, face: Any) -> Any:
            vector = embedder.embed(image, face)
            # The view as embedded: a low-contrast face arrives here already stretched (see
            # core.cast.with_contrast); the scan's own crops are recorded as the stats before that.
            contrast[id(vector)] = seen.pop()
            return vector

    seen: list[tuple[float, float]] = []
    stretch = cast_module.with_contrast

    def recording_stretch(image: Any, box: Any, *rest: Any) -> Any:
        seen.append(grey_stats(image, box))  # before any stretching
        return stretch(image, box, *rest)

    cast_module.with_contrast = recording_stretch  # type: ignore[assignment]
    captured: dict[str, Any] = {}
    original = cast_module._members

    def capture(tracks: Any, labels: Any, views: Any, *rest: Any) -> Any:
        captured.update(tracks=tracks, views=views)
        return original(tracks, labels, views, *rest)

    cast_module._members = capture  # type: ignore[assignment]
    with VideoReader(args.clip) as reader:
        scan_cast(reader, context.detector("mediapipe"), Recording(), CastOptions(same_person_cosine=2.0))  # type: ignore[arg-type]
    tracks, views = captured["tracks"], captured["views"]
    clothing = [mean_descriptor(views[t.number].clothing) for t in tracks]
    bar = clothing_bar(clothing, [t.frames for t in tracks])
    rows = []
    for track in tracks:
        view = views[track.number]
        emb = [e / np.linalg.norm(e) for e in view.embeddings]
        rows.append(
            {
                "track": track.number,
                "frames": [track.sightings[0].frame, track.sightings[-1].frame],
                "samples": len(track.sightings),
                "size": round(float(np.mean([s.size for s in track.sightings])), 1),
                "frontal": round(max(s.quality / max(s.size, 1e-6) for s in track.sightings), 2),
                "grey": [[round(v, 1) for v in contrast[id(e)]] for e in view.embeddings],
                "emb": emb,
            }
        )
        if args.thumbnails is not None and view.thumbnail is not None:
            image = cast_module.thumbnail_of(view.thumbnail)
            cv2.imwrite(str(args.thumbnails / f"{args.clip.stem}_track_{track.number}.png"), image)
    pairs = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            ta, tb = tracks[rows.index(a)], tracks[rows.index(b)]
            if not a["emb"] or not b["emb"] or ta.frames & tb.frames:
                continue
            cosine = float(np.mean(np.stack(a["emb"]) @ np.stack(b["emb"]).T))
            ca, cb = clothing[rows.index(a)], clothing[rows.index(b)]
            worn = bhattacharyya(ca, cb) if ca is not None and cb is not None else float("nan")
            pairs.append((a["track"], b["track"], round(cosine, 4), round(worn, 4)))
    for row in rows:
        print(
            f"track {row['track']:3d} frames {row['frames'][0]:4d}-{row['frames'][1]:4d} "
            f"samples {row['samples']:3d} size {row['size']:6.1f} frontal {row['frontal']:.2f} "
            f"grey mean/std {row['grey']}"
        )
    print(f"clothing bar {bar}" if bar is not None else "clothing bar: too few tracks seen together")
    for a, b, cosine, worn in sorted(pairs, key=lambda p: -p[2]):
        if cosine >= 0.85:
            print(f"  {a:3d} {b:3d} face {cosine:.4f} clothing {worn:.4f}")
    if args.json is not None:
        for row in rows:
            row["emb"] = [e.tolist() for e in row["emb"]]
        args.json.write_text(json.dumps({"tracks": rows, "pairs": pairs}))


if __name__ == "__main__":
    main()
