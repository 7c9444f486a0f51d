"""Learned-swapper alignment: how far the mesh keypoints and the region-SCRFD keypoints
(inference/scrfd_keypoints.py) are from SCRFD run on the whole frame (the reference), in pixels of the
128 px inswapper crop, over the shared identity photos (largest face of each).

Run: python benchmarks/keypoints_vs_scrfd.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.app.context import create_context
from faceswap_desktop.core.geometry import arcface_template, estimate_similarity
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.inference.scrfd import ScrfdDetector
from faceswap_desktop.inference.scrfd_keypoints import scrfd_keypoints
from faceswap_desktop.inference.sessions import SessionCache

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    analyser = create_context("cpu").detector()
    scrfd = ScrfdDetector(SessionCache("cpu").session(SHARED / "models/detection/scrfd_2.5g_bnkps.onnx"))
    template = arcface_template(128)
    rows = []
    for path in sorted((SHARED / "media/images/identity").glob("*/*")):
        image = read_image(path)
        faces = analyser.detect_faces(image)
        whole = scrfd.detect_faces(image)
        if not faces or not whole:
            print(f"{path.name}: no face")
            continue
        face = max(faces, key=lambda f: f.width * f.height)
        region = scrfd_keypoints(scrfd, image, face)
        reference = min(whole, key=lambda g: float(np.linalg.norm(g.keypoints_5 - face.keypoints_5)))
        if region is None:
            print(f"{path.name}: SCRFD missed the face in its region")
            continue
        matrix = estimate_similarity(reference.keypoints_5, template)
        scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # crop px per frame px
        mesh_error = np.linalg.norm(face.keypoints_5 - reference.keypoints_5, axis=1).mean() * scale
        region_error = np.linalg.norm(region - reference.keypoints_5, axis=1).mean() * scale
        mesh_matrix = estimate_similarity(face.keypoints_5, template)
        shift = mesh_matrix @ np.array([*reference.keypoints_5.mean(0), 1.0]) - template.mean(0)
        rows.append((mesh_error, region_error, shift[1]))
    table = np.array(rows)
    print(
        f"{len(table)} photos, mean keypoint distance to whole-frame SCRFD in 128-crop px: "
        f"mesh {table[:, 0].mean():.2f} (max {table[:, 0].max():.2f}), "
        f"region SCRFD {table[:, 1].mean():.2f} (max {table[:, 1].max():.2f}); "
        f"the mesh-aligned crop sits {table[:, 2].mean():+.2f} px off vertically"
    )


if __name__ == "__main__":
    main()
