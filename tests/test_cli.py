"""End-to-end: the installed CLI as a subprocess on shared photos."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_desktop.core.media.image_io import read_image

OBAMA = "identity/obama/obama.jpg"
BIDEN = "identity/biden/biden2.jpg"


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "faceswap_desktop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


@pytest.mark.slow
def test_swap_writes_the_output_and_a_json_summary(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "swapped.jpg"
    proc = run_cli(
        "swap",
        "--source",
        media / OBAMA,
        "--source",
        media / "identity/obama/obama3.jpg",
        "--target",
        media / BIDEN,
        "--output",
        out,
        "--json",
        "--mask-feather",
        "6",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["output"] == str(out) and summary["faces_swapped"] == 1 and summary["source_photos"] == 2
    face = summary["faces"][0]
    assert face["similarity"]["model"] == "dlib ResNet-34 (128-d)"
    assert face["similarity"]["cosine"] > face["target_before"]["cosine"]
    assert {"detect", "swap", "score", "write", "total"} <= set(summary["timings_ms"])
    assert summary["settings"]["mask_feather"] == 6
    result, target = read_image(out), read_image(media / BIDEN)
    assert result.shape == target.shape
    assert np.abs(result.astype(int) - target).mean() > 1.0
    assert "consent" in proc.stderr  # the one-line reminder, never a prompt


@pytest.mark.slow
def test_all_faces_of_a_group_photo(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "group.png"
    proc = run_cli(
        "swap",
        "--source",
        media / OBAMA,
        "--target",
        media / "multi_face/two_people.jpg",
        "--output",
        out,
        "--all-faces",
        "--json",
        "--no-score",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["faces_swapped"] == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("missing", 2, "not found"),
        ("output_is_input", 2, "overwrite an input"),
        ("bad_extension", 2, "must end in"),
        ("not_an_image", 2, "not a supported image"),
        ("too_large", 2, "limit is 16384"),
        ("no_face_target", 3, "no face found in the target"),
        ("no_face_source", 3, "no face found in source photo 1"),
        ("face_index", 3, "face index 5 does not exist"),
        ("bad_setting", 2, "strength=300"),
        ("exists", 2, "--overwrite"),
        ("video_restorer", 2, "--restorer, --all-faces: photo targets only"),
    ],
)
def test_user_errors_give_exit_codes_and_one_line_messages(media: Path, tmp_path: Path, case, code, message):
    source, target, out = media / OBAMA, media / BIDEN, tmp_path / "out.png"
    extra: list[str] = []
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), 90, np.uint8))
    if case == "missing":
        source = tmp_path / "nope.jpg"
    elif case == "output_is_input":
        target = tmp_path / "target.png"
        target.write_bytes((media / "misc/single_Tom_Hanks_54745.png").read_bytes())
        out = target
    elif case == "bad_extension":
        out = tmp_path / "out.gif"
    elif case == "not_an_image":
        target = tmp_path / "t.jpg"
        target.write_text("hello")
    elif case == "too_large":
        target = tmp_path / "huge.png"
        target.write_bytes(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (20000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
        )
    elif case == "no_face_target":
        target = blank
    elif case == "no_face_source":
        source = blank
    elif case == "face_index":
        extra = ["--face-index", "5"]
    elif case == "bad_setting":
        extra = ["--strength", "300"]
    elif case == "exists":
        out.write_bytes(b"keep me")
    elif case == "video_restorer":
        # Options a video export would not apply are refused, not silently ignored.
        target, out = media / "videos/Obama_speaking.mp4", tmp_path / "out.mp4"
        extra = ["--restorer", "gfpgan", "--all-faces"]
    before = out.read_bytes() if out.exists() else None
    proc = run_cli("swap", "--source", source, "--target", target, "--output", out, *extra)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert (out.read_bytes() if out.exists() else None) == before, "nothing written or replaced on error"


@pytest.mark.slow
def test_a_missing_downloadable_model_names_the_command(media: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    proc = run_cli(
        "swap",
        "--source",
        media / OBAMA,
        "--target",
        media / BIDEN,
        "--output",
        tmp_path / "o.png",
        "--engine",
        "inswapper",
    )
    assert proc.returncode == 4, proc.stderr
    assert "faceswap-desktop models download w600k_r50" in proc.stderr
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow
def test_maximize_likeness_reports_its_search(media: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "swap",
        "--source",
        media / "identity/deepface_p05/img16.jpg",
        "--target",
        media / "identity/deepface_p07/img29.jpg",
        "--output",
        tmp_path / "m.png",
        "--json",
        "--maximize-likeness",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    search = summary["maximize_likeness"]
    assert search["best_cosine"] >= search["start_cosine"]
    assert summary["faces"][0]["similarity"]["cosine"] == pytest.approx(search["best_cosine"], abs=0.02)


def test_every_command_prints_its_help() -> None:
    """Help text from the settings definition contains '%' ("in % of the face size"): it must print."""
    import argparse

    from faceswap_desktop.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        text = command.format_help()
        assert "usage:" in text, name
    assert "% of the face size" in commands.choices["swap"].format_help()
    assert "--target=-photo.jpg" in commands.choices["swap"].format_help()
