"""The per-user cache's use and clearing (app/cache_maintenance.py, the `cache` command)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faceswap_desktop.app.cache_maintenance import cache_usage, clear_caches, describe_size
from faceswap_desktop.cli import main as cli_main


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder with two cast scans, one source preparation, and files that are not entries."""
    base = tmp_path / "cache"
    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(base))
    (base / "cast").mkdir(parents=True)
    (base / "sources").mkdir()
    (base / "cast" / "a.json").write_bytes(b"x" * 1500)
    (base / "cast" / "b.json").write_bytes(b"y" * 500)
    (base / "sources" / "c.npz").write_bytes(b"z" * 2_500_000)
    (base / "other.txt").write_text("not an entry")  # beside the two folders: never touched
    return base


def test_usage_counts_each_kind_of_entry(cache: Path) -> None:
    usage = {u.kind: u for u in cache_usage()}
    assert (usage["cast scans"].files, usage["cast scans"].bytes) == (2, 2000)
    assert (usage["source preparations"].files, usage["source preparations"].bytes) == (1, 2_500_000)
    assert usage["cast scans"].folder == cache / "cast"


def test_clearing_removes_the_entries_and_nothing_else(cache: Path, tmp_path: Path) -> None:
    outside = tmp_path / "precious.jpg"
    outside.write_bytes(b"a user's photo")
    os.symlink(outside, cache / "cast" / "link.json")  # a link is removed, its target kept
    removed, freed, problems = clear_caches()
    assert (removed, problems) == (4, [])
    assert freed >= 2_502_000
    assert sorted(p.name for p in cache.rglob("*")) == ["cast", "other.txt", "sources"]
    assert outside.read_bytes() == b"a user's photo"
    assert [u.files for u in cache_usage()] == [0, 0]


def test_a_missing_cache_folder_is_empty_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(tmp_path / "never made"))
    assert [u.files for u in cache_usage()] == [0, 0]
    assert clear_caches() == (0, 0, [])


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (42_000, "42 KB"),
        (4_500_000, "4.5 MB"),
        (250_000_000, "250 MB"),
        (1_200_000_000, "1.2 GB"),
    ],
)
def test_sizes_read_as_people_write_them(size: int, text: str) -> None:
    assert describe_size(size) == text


def test_the_cache_command_lists_then_clears(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["cache", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["files"]) for r in rows] == [("cast scans", 2), ("source preparations", 1)]
    assert cli_main(["cache", "--clear"]) == 0
    assert "removed 3 cached file(s), 2.5 MB" in capsys.readouterr().out
    assert not any((cache / "cast").iterdir()) and (cache / "other.txt").exists()
