"""GFPGAN and the learned maskers on synthetic graphs with the real models' tensor names and shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from faceswap_desktop.core.roles import Enhancer, Masker
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.inference.gfpgan import GfpganEnhancer
from faceswap_desktop.inference.occlusion import FaceParserMasker, OccluderMasker, XSegMasker

from .zoo_fakes import RecordingSession, image_graph


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _gfpgan(tmp_path: Path, constant: np.ndarray | None = None) -> GfpganEnhancer:
    path = image_graph(
        tmp_path / "GFPGANv1.4.onnx", "input", "output", [1, 3, 512, 512], [1, 3, 512, 512], constant
    )
    return GfpganEnhancer(_session(path))


def test_gfpgan_identity_gives_back_the_frame(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    enhancer = _gfpgan(tmp_path)
    assert isinstance(enhancer, Enhancer)
    out = enhancer.enhance(frame, face, 1.0)
    diff = np.abs(out.astype(np.int16) - frame.astype(np.int16))
    x0, y0, x1, y1 = (int(v) for v in face.box)
    assert float(diff[y0:y1, x0:x1].mean()) < 3.0  # 512 crop of a 260 px face: near-lossless
    np.testing.assert_array_equal(enhancer.enhance(frame, face, 0.0), frame)


def test_gfpgan_output_range_and_amount(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    white = np.ones((1, 3, 512, 512), np.float32)  # +1 in [-1, 1] is white
    enhancer = _gfpgan(tmp_path, white)
    cx, cy = (int(v) for v in face.keypoints_5[2])
    full = enhancer.enhance(frame, face, 1.0)
    half = enhancer.enhance(frame, face, 0.5)
    assert full[cy, cx].tolist() == [255, 255, 255]
    np.testing.assert_allclose(half[cy, cx], (frame[cy, cx].astype(float) + 255) / 2, atol=1.0)
    changed = np.any(full != frame, axis=2)
    _, xs = np.nonzero(changed)
    # The paste-back stays around the face: FFHQ crop is ~2x the face, minus the feathered inset.
    assert xs.min() > face.box[0] - face.width and xs.max() < face.box[2] + face.width
    assert not changed[0, 0] and not changed[-1, -1]


def test_gfpgan_feeds_normalised_rgb(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    path = image_graph(tmp_path / "g.onnx", "input", "output", [1, 3, 512, 512], [1, 3, 512, 512])
    session = RecordingSession(_session(path))
    GfpganEnhancer(session).enhance(frame, face, 1.0)
    blob = session.feeds[0]["input"]
    assert blob.shape == (1, 3, 512, 512) and blob.min() >= -1.0 and blob.max() <= 1.0
    assert blob[0, 0].mean() > blob[0, 2].mean()  # plane 0 is red: skin is redder than blue


def _halves(shape: tuple[int, ...], axis: int, first: float, second: float) -> np.ndarray:
    data = np.full(shape, second, np.float32)
    index = [slice(None)] * len(shape)
    index[axis] = slice(0, shape[axis] // 2)
    data[tuple(index)] = first
    return data


def test_occluder_mask_follows_the_model_output(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    # Left half of the crop "visible" (> 0), right half "occluded" (< 0).
    output = _halves((1, 1, 256, 256), 3, 1.0, -1.0)
    path = image_graph(
        tmp_path / "occluder.onnx", "img", "output", [1, 3, 256, 256], [1, 1, 256, 256], output
    )
    masker = OccluderMasker(_session(path))
    assert isinstance(masker, Masker)
    mask = masker.face_mask(frame, face)
    assert mask.shape == frame.shape[:2] and mask.dtype == np.float32
    (lx, ly), (rx, ry) = face.keypoints_5[0].astype(int), face.keypoints_5[1].astype(int)
    assert mask[ly, lx] == pytest.approx(1.0) and mask[ry, rx] == pytest.approx(0.0)
    assert mask[0, 0] == 0.0  # outside the crop


@pytest.mark.parametrize("channels_last", [True, False])
def test_xseg_reads_its_layout_from_the_session(
    tmp_path: Path, obama: tuple[Image, Face], channels_last: bool
) -> None:
    frame, face = obama
    in_shape = [1, 256, 256, 3] if channels_last else [1, 3, 256, 256]
    out_shape = [1, 256, 256, 1] if channels_last else [1, 1, 256, 256]
    # Top half 0.9 (face), bottom half 0.05 (haze, dropped).
    output = _halves(tuple(out_shape), 1 if channels_last else 2, 0.9, 0.05)
    path = image_graph(tmp_path / "xseg.onnx", "in_face:0", "out_mask:0", in_shape, out_shape, output)
    mask = XSegMasker(_session(path)).face_mask(frame, face)  # a wrong layout would raise in ORT
    (ex, ey), (mx, my) = face.keypoints_5[0].astype(int), face.keypoints_5[3].astype(int)
    assert mask[ey, ex] == pytest.approx(0.8, abs=0.01)  # (0.9 - 0.5) * 2 after softening
    assert mask[my, mx] == 0.0


def test_face_parser_keeps_face_regions_only(tmp_path: Path, obama: tuple[Image, Face]) -> None:
    frame, face = obama
    logits = np.zeros((1, 19, 512, 512), np.float32)
    logits[0, 17, :150] = 5.0  # hair across the top of the crop
    logits[0, 1, 150:] = 5.0  # skin below
    logits[0, 4, 200:280, 150:230] = 9.0  # an eye region on the image-left eye
    path = image_graph(
        tmp_path / "faceparser.onnx", "input", "output", [1, 3, 512, 512], [1, 19, 512, 512], logits
    )
    session = RecordingSession(_session(path))
    mask = FaceParserMasker(session).face_mask(frame, face)
    nose_x, nose_y = face.keypoints_5[2].astype(int)
    assert mask[nose_y, nose_x] == pytest.approx(1.0)
    forehead_top = int(face.box[1]) - 5
    assert mask[forehead_top, nose_x] == 0.0  # hair
    only_skin = FaceParserMasker(RecordingSession(_session(path)), regions=["skin"]).face_mask(frame, face)
    eye_x, eye_y = face.keypoints_5[0].astype(int)
    assert mask[eye_y, eye_x] == pytest.approx(1.0) and only_skin[eye_y, eye_x] < 0.5
    blob = session.feeds[0]["input"]
    assert blob.shape == (1, 3, 512, 512) and blob.min() < -1.5 and blob.max() > 1.5  # ImageNet scale
    with pytest.raises(ValueError, match="unknown face region"):
        FaceParserMasker(_session(path), regions=["beard"])
