"""``faceswap-desktop [--source PHOTO]... [TARGET]``: which arguments open the window with files."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap_desktop import __main__ as entry
from faceswap_desktop.app.launch import LaunchArgsError, parse_launch_args
from faceswap_desktop.cli import is_cli_command


@pytest.mark.parametrize(
    "args",
    [
        ["swap", "--source", "a.jpg"],
        ["models", "list"],
        ["cast", "x.mp4"],
        ["--version"],
        ["-h"],
        ["-v", "swap"],
        ["queue", "list"],
    ],
)
def test_commands_go_to_the_cli(args: list[str]) -> None:
    assert is_cli_command(args)


@pytest.mark.parametrize(
    "args", [["photo.jpg"], ["--source", "a.jpg", "b.mp4"], ["-v", "photo.jpg"], ["-psn_0_1234"]]
)
def test_files_open_the_window(args: list[str]) -> None:
    assert not is_cli_command(args)


def test_sources_and_target_are_checked(tmp_path: Path) -> None:
    source, target = tmp_path / "a b.jpg", tmp_path / "clip.mp4"
    source.write_bytes(b"x")
    target.write_bytes(b"y")
    files = parse_launch_args(["--source", str(source), "--source", str(tmp_path / "gone.jpg"), str(target)])
    assert files.sources == (source,)
    assert files.target == target
    assert files.problems == (f"{tmp_path / 'gone.jpg'}: no such file",)


def test_a_file_url_from_a_file_manager_is_a_path(tmp_path: Path) -> None:
    target = tmp_path / "my photo.jpg"
    target.write_bytes(b"x")
    files = parse_launch_args([target.as_uri()])
    assert files.target == target and not files.problems


def test_finders_process_serial_number_is_ignored() -> None:
    assert parse_launch_args(["-psn_0_1234"]).empty


def test_a_folder_is_reported_not_opened(tmp_path: Path) -> None:
    files = parse_launch_args([str(tmp_path)])
    assert files.target is None and files.problems == (f"{tmp_path}: not a regular file",)


def test_unknown_options_are_refused_with_the_usage(tmp_path: Path) -> None:
    with pytest.raises(LaunchArgsError, match="usage: faceswap-desktop"):
        parse_launch_args(["--frobnicate", "x.jpg"])
    with pytest.raises(LaunchArgsError):
        parse_launch_args(["a.jpg", "b.jpg"])  # one target only


def test_the_entry_point_passes_the_files_to_the_window(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "t.jpg"
    target.write_bytes(b"x")
    seen = []
    monkeypatch.setattr(entry, "_start_window", lambda files=None: seen.append(files) or 0)
    assert entry.main([str(target), "--source", str(tmp_path / "missing.jpg")]) == 0
    assert seen[0].target == target and seen[0].sources == ()
    assert "missing.jpg: no such file" in capsys.readouterr().err
    assert entry.main(["--bogus"]) == 2
