"""Does the cast of a clip hold at other sizes? Scales a clip (bicubic up, area down, x264 crf 16), scans
each version and prints its people and how each join and each near pair stands against its bound.

For every version: the number of people, the clip's clothing bar, and for every two people whose faces
reach the clothing rule's floor (the nearest calls, joined or not) their face linkage and clothing
overlap; the people's thumbnails go to ``OUT/<clip>_<scale>x/`` to be looked at. ``docs/cast.md``
("The same clip at another size") has what this showed on the shared clips.

    PYTHONPATH=$PWD python benchmarks/cast_scales.py CLIP [--scales 0.5 1 1.5 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from faceswap_desktop.app import cast as cast_module
from faceswap_desktop.app.cast import scan_cast
from faceswap_desktop.app.context import create_context
from faceswap_desktop.app.video_session import tracker_embedder
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.video.appearance import bhattacharyya


def scaled_copy(source: Path, factor: float, out: Path) -> Path:
    """``source`` resized by ``factor`` (1: re-encoded only), H.264 crf 16, at its own frame rate."""
    with VideoReader(source) as reader:
        info = reader.info
        width, height = round(info.width * factor / 2) * 2, round(info.height * factor / 2) * 2
        interpolation = cv2.INTER_CUBIC if factor >= 1 else cv2.INTER_AREA
        frames = [cv2.resize(i, (width, height), interpolation=interpolation) for _, i in reader.frames()]
    with av.open(str(out), "w") as output:
        stream = output.add_stream("libx264", rate=Fraction(info.fps).limit_denominator(1001))
        stream.options = {"crf": "16", "preset": "veryfast"}
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.5, 1.0, 1.5, 2.0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cast_scales")
    args = parser.parse_args()
    context = create_context()
    embedder = tracker_embedder(context.recognizer, "dlib")
    detector = context.detector("mediapipe")
    captured: dict[str, Any] = {}
    cluster = cast_module.cluster_tracks

    def capture(tracks: Any, threshold: Any, rule: Any, *rest: Any) -> Any:
        labels = cluster(tracks, threshold, rule, *rest)
        captured.update(tracks=tracks, rule=rule, labels=labels)
        return labels

    cast_module.cluster_tracks = capture  # type: ignore[assignment]
    for factor in args.scales:
        folder = args.out / f"{args.clip.stem}_{factor:g}x"
        folder.mkdir(parents=True, exist_ok=True)
        clip = scaled_copy(args.clip, factor, folder / f"{args.clip.stem}_{factor:g}x.mp4")
        started = time.process_time()
        with VideoReader(clip) as reader:
            cast = scan_cast(reader, detector, embedder)
            size = f"{reader.info.width}x{reader.info.height}"
        cpu = time.process_time() - started
        rule, labels = captured["rule"], captured["labels"]
        bar = f"{rule.min_clothing:.4f}" if rule is not None else "none"
        others = f" (+{len(cast.others)} only glimpsed)" if cast.others else ""
        found = f"{len(cast.people)} people{others}"
        print(f"{args.clip.name} x{factor:g} ({size}): {found}, bar {bar}, {cpu:.1f} s CPU")
        for member in cast.members:
            cv2.imwrite(str(folder / f"person_{member.number}.png"), member.thumbnail)
        # People as clusters of tracks: their average face linkage and clothing overlap.
        people = sorted(set(labels))
        tracks = captured["tracks"]
        units = [[e / np.linalg.norm(e) for e in track.embeddings] for track in tracks]
        for x, a in enumerate(people):
            for b in people[x + 1 :]:
                ia = [i for i, label in enumerate(labels) if label == a]
                ib = [i for i, label in enumerate(labels) if label == b]
                faces = [float(np.dot(u, v)) for i in ia for j in ib for u in units[i] for v in units[j]]
                worn = [
                    bhattacharyya(ci, cj)
                    for i in ia
                    for j in ib
                    if (ci := tracks[i].clothing) is not None and (cj := tracks[j].clothing) is not None
                ]
                if faces and rule is not None and np.mean(faces) >= rule.min_face:
                    print(
                        f"   near pair (tracks {ia} | {ib}): face {np.mean(faces):.4f}, "
                        f"clothing {np.mean(worn) if worn else float('nan'):.4f} against bar {bar}"
                    )
        for member in cast.people:
            if member.tracks > 1:
                print(f"   person {member.number}: {member.tracks} tracks, frames {list(member.ranges)}")


if __name__ == "__main__":
    main()
