"""What decoding user files in helper processes costs: photos, sequential video frames, random seeks.

Run: ``.venv/bin/python benchmarks/bench_guarded_decode.py [--repeats 15]``. Compares the in-process
readers (:func:`read_image`, :class:`VideoReader`) with the guarded entry points the app uses
(:func:`load_image`, :class:`GuardedVideoReader`) on the shared media. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.core.media.guarded_decode import DecodeHelper, GuardedVideoReader, load_image
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_io import VideoReader

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
PHOTOS = {
    "obama.jpg (910x1137)": SHARED / "media/images/identity/obama/obama.jpg",
    "facenet_multiface.jpg": SHARED / "media/images/multi_face/facenet_multiface.jpg",
}
VIDEOS = {
    "Obama_speaking.mp4 (512x388)": SHARED / "media/videos/Obama_speaking.mp4",
    "facenet_pytorch_video.mp4 (1080p)": SHARED / "media/videos/facenet_pytorch_video.mp4",
}


def median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--frames", type=int, default=120, help="sequential frames decoded per video")
    args = parser.parse_args()
    results: dict[str, object] = {}

    started = time.perf_counter()
    helper = DecodeHelper()
    helper.request("start", 60, "video_close")
    results["helper start ms"] = round((time.perf_counter() - started) * 1000, 1)
    helper.close()

    load_image(next(iter(PHOTOS.values())))  # the pooled helper is started once, not per photo
    for name, path in PHOTOS.items():
        shape = read_image(path).shape
        results[f"photo {name} {shape[1]}x{shape[0]} ms"] = {
            "in-process": median_ms(lambda p=path: read_image(p), args.repeats),
            "guarded": median_ms(lambda p=path: load_image(p), args.repeats),
        }

    for name, path in VIDEOS.items():
        entry: dict[str, float] = {}
        for label, opener in (("in-process", VideoReader), ("guarded", GuardedVideoReader)):
            started = time.perf_counter()
            reader = opener(path)
            entry[f"{label} open ms"] = round((time.perf_counter() - started) * 1000, 1)
            count = min(args.frames, reader.info.frame_count)
            started = time.perf_counter()
            for _ in reader.frames(0, count):
                pass
            entry[f"{label} sequential fps"] = round(count / (time.perf_counter() - started), 1)
            rng = random.Random(7)
            picks = [rng.randrange(reader.info.frame_count) for _ in range(args.repeats)]
            entry[f"{label} random seek ms"] = median_ms(
                lambda r=reader, p=picks: r.frame_at(p.pop()), len(picks)
            )
            reader.close()
        results[f"video {name}"] = entry
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
