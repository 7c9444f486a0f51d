"""The CLI's provenance options: ``--watermark`` on photos and videos, ``--no-content-credentials``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import c2pa
import numpy as np
import pytest

from faceswap_desktop import cli
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE, read_digital_source_type
from faceswap_desktop.core.media.watermark import add_watermark, watermark_box

from .conftest import MEDIA

BIDEN = MEDIA / "identity/biden/biden2.jpg"
OBAMA = MEDIA / "identity/obama/obama.jpg"
CLIP = MEDIA.parent / "videos" / "Obama_speaking.mp4"


@pytest.mark.slow
def test_a_watermarked_signed_photo_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "marked.png"
    proc = subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", "swap", "--source", str(OBAMA), "--target", str(BIDEN),
         "--output", str(out), "--no-score", "--watermark"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "content credentials (C2PA): signed" in proc.stdout
    target, result = read_image(BIDEN), read_image(out)
    x0, y0, x1, y1 = watermark_box(target.shape[1], target.shape[0])
    corner = (slice(y0, y1), slice(x0, x1))
    # The swap does not reach the corner, so there the output is exactly the target with the mark.
    assert np.array_equal(result[corner], add_watermark(target)[corner])
    assert read_digital_source_type(out.read_bytes()) == DIGITAL_SOURCE_TYPE
    with open(out, "rb") as stream, c2pa.Reader(stream) as reader:
        assert DIGITAL_SOURCE_TYPE in reader.json()


def test_video_options_reach_the_export_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faceswap_desktop.app import video

    requests: list[Any] = []

    class Stop(Exception):
        pass

    def capture(context: object, request: Any, cancel: object) -> None:
        requests.append(request)
        raise Stop

    monkeypatch.setattr(video, "VideoExportJob", capture)
    base = ["swap", "--source", str(OBAMA), "--target", str(CLIP), "--output", str(tmp_path / "o.mp4")]
    for extra in ([], ["--watermark", "--no-content-credentials"]):
        with pytest.raises(Stop):
            cli.main([*base, *extra])
    assert [(r.watermark, r.content_credentials) for r in requests] == [(False, True), (True, False)]
