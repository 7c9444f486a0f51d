"""Record what MediaPipe's analyser (``scripts/mediapipe_analyser.py``) finds, as fixtures for parity
tests that run without mediapipe installed.

    PYTHONPATH=. python scripts/record_mediapipe_fixtures.py [--shared DIR] [--out FILE]

Needs ``mediapipe==0.10.21`` (the project's current venv). Recorded into one compressed ``.npz``
(default ``tests/fixtures/mediapipe_faces.npz``), keys ``<tag>:<field>``:

* every shared photo (``media/images/**``), tag ``images/<relative path>``: ``boxes`` (n, 4), ``scores``
  (n,), ``landmarks`` (n, 478, 3) of ``MediaPipeFaceAnalyser.detect_faces``;
* ``FRAMES_PER_CLIP`` evenly spaced frames of each shared clip (``media/videos``), tag
  ``videos/<name>@<frame>``, same fields;
* the video-mode landmark follower (``landmark_follower``) over the first ``FOLLOW_FRAMES`` frames of
  each clip, following the largest face of frame 0, tag ``follow/<name>``: ``frames`` (k,), ``boxes_in``
  (k, 4) (the box given for each frame: the detection, then the previous result's box) and
  ``landmarks`` (k, 478, 3), NaN where the follower lost the face, and ``on_face`` (k,): whether
  MediaPipe's image mode (``detect_faces``) agrees there (a face with box IoU >= 0.5 and landmarks within
  15% of the inter-ocular distance: the two modes differ by 1-11% on the clips' small faces). After a
  cut the follower can keep "following" a region where image mode finds no face: those frames have no
  landmarks to agree on.

Frames are decoded with the app's own ``VideoReader``, as the tests decode them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FRAMES_PER_CLIP = 6
FOLLOW_FRAMES = 40
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def _faces_arrays(faces: list) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    return {
        "boxes": np.array([f.box for f in faces], np.float32).reshape(-1, 4),
        "scores": np.array([f.score for f in faces], np.float32),
        "landmarks": np.array([f.landmarks_478 for f in faces], np.float32).reshape(-1, 478, 3),
    }


def _image_mode_agrees(faces: list, followed: object) -> bool:  # type: ignore[type-arg]
    from faceswap_desktop.core.geometry import box_iou, keypoints_from_mesh

    points = followed.landmarks_478  # type: ignore[attr-defined]
    eyes = keypoints_from_mesh(points)
    iod = float(np.linalg.norm(eyes[0] - eyes[1]))
    for face in faces:
        if box_iou(face.box, followed.box) >= 0.5:  # type: ignore[attr-defined]
            gap = np.linalg.norm(face.landmarks_478[:, :2] - points[:, :2], axis=1).mean()
            if gap < 0.15 * iod:
                return True
    return False


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from mediapipe_analyser import MediaPipeFaceAnalyser  # the reference, needs mediapipe 0.10.21

    from faceswap_desktop.core.media.image_io import read_image
    from faceswap_desktop.core.media.video_io import VideoReader

    default_shared = Path(os.environ.get("FACESWAP_SHARED_DIR", REPO.parent / "shared"))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=default_shared)
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "mediapipe_faces.npz")
    args = parser.parse_args(argv)
    media = args.shared / "media"
    analyser = MediaPipeFaceAnalyser()
    arrays: dict[str, np.ndarray] = {}
    photos = sorted(p for p in (media / "images").rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for path in photos:
        faces = analyser.detect_faces(read_image(path))
        tag = f"images/{path.relative_to(media / 'images').as_posix()}"
        arrays.update({f"{tag}:{k}": v for k, v in _faces_arrays(faces).items()})
        print(f"{tag}: {len(faces)} face(s)")
    for clip in sorted((media / "videos").glob("*.mp4")):
        reader = VideoReader(clip)
        try:
            count = reader.info.frame_count
            for index in np.linspace(0, count - 1, FRAMES_PER_CLIP).round().astype(int):
                faces = analyser.detect_faces(reader.frame_at(int(index)))
                tag = f"videos/{clip.name}@{int(index)}"
                arrays.update({f"{tag}:{k}": v for k, v in _faces_arrays(faces).items()})
                print(f"{tag}: {len(faces)} face(s)")
            follower = analyser.landmark_follower()
            frames, boxes_in, landmarks, on_face = [], [], [], []
            box = None
            for index, frame in reader.frames(0, FOLLOW_FRAMES):
                if box is None:
                    faces = analyser.detect_faces(frame)
                    if not faces:
                        continue
                    box = max(faces, key=lambda f: f.width * f.height).box
                face = follower.landmarks_in_box(frame, box)
                frames.append(index)
                boxes_in.append(box)
                landmarks.append(face.landmarks_478 if face is not None else np.full((478, 3), np.nan))
                on_face.append(face is not None and _image_mode_agrees(analyser.detect_faces(frame), face))
                box = face.box if face is not None else None
            follower.close()
            tag = f"follow/{clip.name}"
            arrays[f"{tag}:frames"] = np.array(frames, np.int32)
            arrays[f"{tag}:boxes_in"] = np.array(boxes_in, np.float32).reshape(-1, 4)
            arrays[f"{tag}:landmarks"] = np.array(landmarks, np.float32).reshape(-1, 478, 3)
            arrays[f"{tag}:on_face"] = np.array(on_face, bool)
            lost = int(np.isnan(arrays[f"{tag}:landmarks"][:, 0, 0]).sum())
            off = len(frames) - lost - int(np.sum(on_face))
            print(f"{tag}: {len(frames)} frames followed, lost in {lost}, off the face in {off}")
        finally:
            reader.close()
    analyser.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
