"""A user recognizer becomes a judge once ``models calibrate`` fitted its gauge on labelled photos (here
the real MobileFaceNet from ../shared, registered with ``models add``)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from faceswap_desktop.app.context import create_context
from faceswap_desktop.cli.models_cmd import add_models_parser, run_models_command
from faceswap_desktop.core.errors import UnknownComponent
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.pipeline import FaceSelection
from faceswap_desktop.core.settings import SwapSettings
from tests.conftest import MOBILEFACENET


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="faceswap-desktop")
    add_models_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run_models_command(parser.parse_args(["models", *argv]), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_calibrate_makes_a_user_recognizer_a_judge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    assert _run("add", str(MOBILEFACENET), "--role", "recognizer", "--name", "mfn")[0] == 0
    context = create_context("cpu")
    with pytest.raises(UnknownComponent, match="no identity calibration"):
        context.calibrations.get("mfn")  # registered, usable to condition a swapper, not yet a judge
    people = tmp_path / "people"
    for name in ("deepface_p01", "deepface_p02", "deepface_p03"):
        (people / name).mkdir(parents=True)
        for photo in sorted((media / "identity" / name).iterdir())[:2]:
            (people / name / photo.name).symlink_to(photo)
    lonely = tmp_path / "lonely"
    (lonely / "one").mkdir(parents=True)
    (lonely / "one" / "a.jpg").symlink_to(media / "identity" / "obama" / "obama.jpg")
    code, _, err = _run("calibrate", "mfn", str(lonely))
    assert code == 2 and "at least two people" in err
    code, out, err = _run("calibrate", "mfn", str(people))
    assert code == 0, err
    assert "6 photos, 3 same-person / 12 different-person pairs" in out
    # A new process reads the calibration back and the gauge scores with the user judge.
    context = create_context("cpu")
    calibration = context.calibrations.get("mfn")
    assert 0.0 < calibration.centre < 1.0 and calibration.slope >= 1.0
    pipeline = context.build_pipeline(engine="mesh", judge="mfn")
    source = pipeline.prepare_source([read_image(media / "identity" / "obama" / "obama.jpg")])
    target = read_image(media / "identity" / "obama" / "obama2.jpg")
    result = pipeline.process_frame(target, source, SwapSettings(), FaceSelection((0,)))
    similarity = result.swapped[0].similarity
    assert similarity is not None and similarity.model == "mfn" and similarity.percent > 60
