"""Exit codes the CLI documents, asserted through ``main`` (not on the exception classes): disk full is
5 and Ctrl-C during a photo swap is 130, each with its one-line message and no file left behind."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from faceswap_desktop.cli import main
from faceswap_desktop.core.media import safe_files

OBAMA = "identity/obama/obama.jpg"
BIDEN = "identity/biden/biden2.jpg"


def photo_swap(media: Path, output: Path) -> list[str]:
    return ["swap", "--source", str(media / OBAMA), "--target", str(media / BIDEN), "--output", str(output)]


def test_disk_full_while_writing_a_photo_exits_5(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_open = open

    class FullFile:
        """A temporary output file on a disk that fills up half-way through the write."""

        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FullFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    def fake_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        return FullFile(handle) if "w" in mode and str(path).endswith(".part") else handle

    monkeypatch.setattr(safe_files, "open", fake_open, raising=False)
    assert main([*photo_swap(media, tmp_path / "out.png"), "--no-score"]) == 5
    assert "disk is full" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary file


def test_ctrl_c_during_a_photo_swap_exits_130(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from faceswap_desktop.core import pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # what SIGINT raises in the main thread, here in the middle of the swap

    monkeypatch.setattr(pipeline.FacePipeline, "process_frame", interrupted)
    assert main([*photo_swap(media, tmp_path / "out.png"), "--no-score"]) == 130
    assert "error: interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
