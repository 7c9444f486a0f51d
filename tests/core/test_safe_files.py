"""Nothing lost: inputs never overwritten (symlinks, hard links, case aliases), atomic publish without
silent replacement, free-space checks, and a full disk giving a typed error with everything intact."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.errors import DiskFull, OutputConflict
from faceswap_desktop.core.media import safe_files
from faceswap_desktop.core.media.image_io import check_output_path, read_image, write_image
from faceswap_desktop.core.media.safe_files import check_free_space, check_not_an_input, same_file


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "input.png"
    write_image(path, np.full((8, 8, 3), 40, np.uint8), label_synthetic=False)
    return path


def test_symlink_and_hard_link_to_an_input_are_refused(tmp_path: Path, photo: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(photo)
    with pytest.raises(OutputConflict, match="overwrite an input"):
        check_output_path(link, [photo])
    hard = tmp_path / "hard.png"
    os.link(photo, hard)
    with pytest.raises(OutputConflict, match="overwrite an input"):
        check_output_path(hard, [photo])
    linked_dir = tmp_path / "alias_dir"
    linked_dir.symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(OutputConflict):
        check_output_path(linked_dir / "input.png", [photo])
    check_output_path(tmp_path / "other.png", [photo])  # a new name is fine


def test_case_aliases_are_refused_where_the_file_system_folds_case(
    tmp_path: Path, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upper = tmp_path / "INPUT.PNG"
    if upper.exists():  # really case-insensitive here (macOS, Windows): samefile decides
        with pytest.raises(OutputConflict):
            check_output_path(upper, [photo])
        return
    assert not same_file(upper, photo)  # case-sensitive file system: really another file
    # The same logic on a case-folding platform: os.path.normcase lower-cases there (Windows).
    monkeypatch.setattr(os.path, "normcase", lambda text: text.lower())
    assert same_file(upper, photo)
    with pytest.raises(OutputConflict, match="overwrite an input"):
        check_not_an_input(upper, [photo])


def test_an_output_that_appears_meanwhile_is_not_replaced_without_consent(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"someone else's file")
    with pytest.raises(OutputConflict, match="output exists"):
        write_image(out, np.zeros((4, 4, 3), np.uint8), overwrite=False)
    assert out.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temporary file left
    write_image(out, np.zeros((4, 4, 3), np.uint8), overwrite=True)
    assert read_image(out).shape == (4, 4, 3)


def test_enospc_mid_write_is_typed_and_keeps_earlier_files(
    tmp_path: Path, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = tmp_path / "earlier.png"
    write_image(earlier, np.full((8, 8, 3), 9, np.uint8))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_open = open

    class FullFile:
        def __init__(self, handle):  # type: ignore[no-untyped-def]
            self.handle = handle

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    def fake_open(path, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(path, mode, *args, **kwargs)
        return FullFile(handle) if "w" in mode and str(path).endswith(".part") else handle

    monkeypatch.setattr(safe_files, "open", fake_open, raising=False)
    with pytest.raises(DiskFull, match="disk is full"):
        write_image(tmp_path / "new.png", np.zeros((64, 64, 3), np.uint8))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # inputs, earlier outputs intact
    assert DiskFull("x").exit_code == 5


def test_free_space_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_free_space(tmp_path, 1024)
    monkeypatch.setattr(safe_files, "free_bytes", lambda folder: 50 * 2**20)
    with pytest.raises(DiskFull, match="not enough free space"):
        check_free_space(tmp_path, 40 * 2**20, "clip.mp4")
    check_free_space(tmp_path, 10 * 2**20)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_published_files_get_normal_permissions_and_private_ones_stay_private(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    public = tmp_path / "out.png"
    secret = tmp_path / "key.pem"
    safe_files.write_bytes_atomic(public, b"data")
    safe_files.write_bytes_atomic(secret, b"key", private=True)
    # mkstemp alone would make the export 0600: readable by nobody else, unlike any other saved file.
    assert stat.S_IMODE(public.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
