"""``faceswap-desktop batch --ray`` on a local Ray instance with 2 worker slots, started by these tests
(skipped when Ray, the optional ``cluster`` extra, is not installed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faceswap_desktop.cli import main
from tests.batch.test_batch_local import HAMILTON, PHOTOS, SOURCE, assert_same_export

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    from faceswap_desktop.app.batch_ray import start_local

    if ray.is_initialized():
        ray.shutdown()
    start_local(num_cpus=2)
    yield
    ray.shutdown()


def _batch(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict[str, dict[str, Any]]]:
    capsys.readouterr()
    code = main(["batch", "--ray", "auto", "--json", *map(str, args)])
    report = json.loads(capsys.readouterr().out)
    assert report["executor"] == "ray"
    return code, {item["name"]: item for item in report["items"]}


@pytest.fixture
def mixed(media: Path, tmp_path: Path) -> Path:
    """Two photos, a video and a truncated JPEG."""
    folder = tmp_path / "targets"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(media / name, folder)
    shutil.copy(HAMILTON, folder)
    (folder / "broken.jpg").write_bytes((media / "misc/single_angelina_jolie.jpg").read_bytes()[:3000])
    return folder


def test_a_mixed_batch_completes_with_the_bad_file_reported(
    local_ray: None, mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, items = _batch(capsys, "--source", SOURCE, "--target", mixed, "--output-dir", out, "--end", "2",
                         "--preset", "ultrafast")  # fmt: skip
    assert code == 8
    assert (
        items["broken_swapped.jpg"]["status"] == "failed"
        and "broken.jpg" in items["broken_swapped.jpg"]["reason"]
    )
    video = items["short_hamilton_clip_swapped.mp4"]
    assert video["status"] == "done" and video["frames_written"] == 60 and video["audio"] != "none"
    for name in ("single_kate_siegel_swapped.jpg", "single_paul_rudd_swapped.jpg"):
        assert items[name]["status"] == "done" and 50 <= items[name]["identity_percent"] <= 100
        assert items[name]["content_credentials"] == "signed"
    assert {p.name for p in out.iterdir()} == {
        ".faceswap-batch",
        *(n for n in items if n != "broken_swapped.jpg"),
    }


def test_a_segmented_export_equals_the_single_machine_export(
    local_ray: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--source", SOURCE, "--end", "3", "--preset", "ultrafast")
    single = tmp_path / "single.mp4"
    assert main(["swap", "--target", str(HAMILTON), "--output", str(single), *map(str, common)]) == 0
    out = tmp_path / "out"
    code, items = _batch(capsys, "--target", HAMILTON, "--output-dir", out, "--segment-seconds", "1", *common)
    assert code == 0
    item = items["short_hamilton_clip_swapped.mp4"]
    assert item["tasks"] == 2 and item["content_credentials"] == "signed"
    assert_same_export(single, Path(item["output"]))


def test_a_killed_worker_is_retried_and_a_rerun_renders_only_what_is_missing(
    local_ray: None,
    media: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    targets = [arg for name in PHOTOS for arg in ("--target", str(media / name))]
    targets += ["--target", str(media / "misc/single_shea_whigham.jpg")]
    marker = tmp_path / "killed"
    monkeypatch.setenv("FACESWAP_BATCH_TEST_FAULT", f"kill:paul_rudd:{marker}")
    code, items = _batch(capsys, "--source", SOURCE, *targets, "--output-dir", out)
    assert code == 0 and marker.exists()  # the worker died on its first attempt, Ray ran it again
    assert all(item["status"] == "done" for item in items.values())
    assert items["single_paul_rudd_swapped.jpg"]["attempts"] == 2  # Ray's retry, as the pool counts it
    assert {item["attempts"] for name, item in items.items() if "paul_rudd" not in name} == {1}

    # An interrupted run: one output lost, one item whose worker dies on every attempt.
    (out / "single_kate_siegel_swapped.jpg").unlink()
    (out / "single_shea_whigham_swapped.jpg").unlink()
    monkeypatch.setenv("FACESWAP_BATCH_TEST_FAULT", f"kill-always:shea_whigham:{marker}")
    code, items = _batch(capsys, "--source", SOURCE, *targets, "--output-dir", out, "--retries", "0")
    assert code == 8
    assert items["single_shea_whigham_swapped.jpg"]["status"] == "failed"
    assert items["single_kate_siegel_swapped.jpg"]["status"] == "done"
    assert items["single_paul_rudd_swapped.jpg"]["status"] == "skipped"

    # The re-run renders only the item that is still missing.
    monkeypatch.delenv("FACESWAP_BATCH_TEST_FAULT")
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.jpg")}
    code, items = _batch(capsys, "--source", SOURCE, *targets, "--output-dir", out)
    assert code == 0
    assert [n for n, i in items.items() if i["status"] == "done"] == ["single_shea_whigham_swapped.jpg"]
    assert all(p.stat().st_mtime_ns == mtimes[p.name] for p in out.glob("*.jpg") if p.name in mtimes)
