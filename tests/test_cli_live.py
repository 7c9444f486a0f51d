"""``faceswap-desktop live``: a video file as the camera, recorded (every frame, labelled); a missing
camera and a missing virtual camera exit 7 with one clear line, having written nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from faceswap_desktop.cli import main
from faceswap_desktop.core.media.provenance import DIGITAL_SOURCE_TYPE

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "media" / "videos" / "Obama_speaking.mp4"
BIDEN = "identity/biden/biden.jpg"


def test_live_from_a_file_records_every_frame_labelled(media: Path, tmp_path: Path) -> None:
    output, snapshot = tmp_path / "live.mp4", tmp_path / "last.png"
    command = [
        sys.executable, "-m", "faceswap_desktop", "live", "--camera", str(CLIP), "--source",
        str(media / BIDEN), "--record", str(output), "--frames", "8", "--every-frame", "--mirror",
        "--snapshot", str(snapshot), "--json",
    ]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["frames"] == 8 and summary["dropped"] == 0 and summary["frames_with_face"] == 8
    assert summary["recording"]["frames"] == 8 and summary["recording"]["content_credentials"] == "signed"
    assert 0 < summary["similarity_percent"] <= 100
    with av.open(str(output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 8
        assert container.metadata["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert summary["snapshot"]["xmp_digital_source_type"] == DIGITAL_SOURCE_TYPE and snapshot.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.png", "live.mp4"]


def test_a_missing_camera_exits_7_with_a_clear_message(
    media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "never.mp4"
    argv = ["live", "--camera", "63", "--source", str(media / BIDEN), "--record", str(output), "--no-score"]
    assert main(argv) == 7
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: camera 63 ")
    assert list(tmp_path.iterdir()) == []


def test_no_virtual_camera_exits_7_and_says_what_to_install(
    media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["live", "--camera", str(CLIP), "--source", str(media / BIDEN), "--virtual-camera", "--no-score"]
    assert main([*argv, "--frames", "3"]) == 7
    assert "virtual camera" in capsys.readouterr().err
