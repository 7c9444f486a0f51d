"""The export writers (with provenance) keep a PNG target's alpha and never replace a file that
appeared while the job ran unless the user agreed to replace it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.app.content_credentials import finish_video, write_export_image
from faceswap_desktop.core.errors import OutputConflict


def test_png_exports_keep_the_targets_alpha(tmp_path: Path) -> None:
    image = np.random.default_rng(5).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    alpha = np.zeros((32, 48), np.uint8)
    alpha[8:24, 10:40] = 255
    out = tmp_path / "out.png"
    write_export_image(out, image, content_credentials=False, alpha=alpha)
    written = cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
    assert written.shape == (32, 48, 4)
    assert np.array_equal(written[:, :, 3], alpha) and np.array_equal(written[:, :, :3], image)
    jpeg = tmp_path / "out.jpg"
    write_export_image(jpeg, image, content_credentials=False, alpha=alpha)  # JPEG: opaque, no error
    assert cv2.imdecode(np.frombuffer(jpeg.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED).shape == (32, 48, 3)


def test_an_output_that_appeared_meanwhile_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"someone else's")
    with pytest.raises(OutputConflict, match="output exists"):
        write_export_image(out, np.zeros((8, 8, 3), np.uint8), content_credentials=False, overwrite=False)
    assert out.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]

    video = tmp_path / "clip.mp4"
    video.write_bytes(b"earlier export")
    temporary = tmp_path / ".clip.1234.partial.mp4"
    temporary.write_bytes(b"new export")
    with pytest.raises(OutputConflict, match="output exists"):
        finish_video(temporary, video, content_credentials=False, overwrite=False)
    assert video.read_bytes() == b"earlier export"
    finish_video(temporary, video, content_credentials=False, overwrite=True)  # with consent: replaced
    assert video.read_bytes() == b"new export" and not temporary.exists()
