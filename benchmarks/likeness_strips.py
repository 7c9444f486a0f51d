"""The strips of docs/likeness.md: five benchmark pairs side by side under the engine's configurations.

Run: ``.venv/bin/python benchmarks/likeness_strips.py [--skip-search] [--out docs/likeness/strips.png]``.
Columns: source photo, target photo, classic warp, defaults without the skin extension, current defaults,
'maximise likeness' (dlib-optimised; a blank tile with --skip-search). Each tile is a square crop around
the target's face, so the tiles of a row line up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_identity import BEFORE_SKIN, CLASSIC
from identity_eval import Person, load_people

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.likeness import maximize_likeness
from faceswap_desktop.core.media.image_io import write_image
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image

PAIRS = [
    ("alex_lacamoire", "deepface_p02"),
    ("deepface_p05", "deepface_p07"),
    ("obama", "deepface_p01"),
    ("deepface_p06", "obama"),
    ("biden", "deepface_p03"),
]
TILE = 256


def crop(image: Image, face: Face, size: int = TILE) -> Image:
    """A square around ``face`` (1.7 times its box's longer side), resized to ``size``."""
    x0, y0, x1, y1 = face.box
    half = max(x1 - x0, y1 - y0) * 0.85
    scale = size / (2 * half)
    matrix = np.array(
        [[scale, 0, size / 2 - (x0 + x1) / 2 * scale], [0, scale, size / 2 - (y0 + y1) / 2 * scale]]
    )
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--skip-search", action="store_true", help="leave the 'maximise likeness' column blank"
    )
    parser.add_argument("--out", type=Path, default=Path("docs/likeness/strips.png"))
    args = parser.parse_args()
    context = create_context()
    plain = context.build_pipeline(judge=None)
    scoring = None if args.skip_search else context.build_pipeline(judge="dlib")
    people: dict[str, Person] = {p.name: p for p in load_people(plain)}
    rows = []
    for source_name, target_name in PAIRS:
        source, target = people[source_name], people[target_name]
        image, face = target.images[0], target.faces[0]
        prepared = (scoring or plain).prepare_source([source.images[0]])
        tiles = [crop(source.images[0], source.faces[0]), crop(image, face)]
        for settings in (CLASSIC, BEFORE_SKIN, SwapSettings()):
            out = plain.process_frame(image, prepared, settings, FaceSelection(), faces=[face], score="none")
            tiles.append(crop(out.frame, face))
        if scoring is None:
            tiles.append(np.full((TILE, TILE, 3), 255, np.uint8))
        else:
            best = maximize_likeness(scoring, image, prepared, SwapSettings(), FaceSelection(), faces=[face])
            out = plain.process_frame(
                image, prepared, best.best.settings, FaceSelection(), faces=[face], score="none"
            )
            tiles.append(crop(out.frame, face))
            print(f"{source_name} -> {target_name}: {best.best.settings.to_dict()}")
        rows.append(np.concatenate(tiles, axis=1))
    write_image(args.out, np.concatenate(rows, axis=0))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
