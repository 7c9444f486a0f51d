"""Batch planning: inputs from files, folders and globs, output names, collisions, batch files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faceswap_desktop.app.batch import expand_people, expand_targets, output_name, plan_batch
from faceswap_desktop.app.batch_segments import cut_points
from faceswap_desktop.cli import build_parser
from faceswap_desktop.cli.batch_cmd import file_arguments, merged_arguments
from faceswap_desktop.core.errors import BadInput


def _touch(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")
    return [folder / name for name in names]


def _describe(sources, target, output, kind):  # type: ignore[no-untyped-def]
    return {"kind": kind, "output": str(output)}


def test_targets_come_from_files_folders_and_globs(tmp_path: Path) -> None:
    b_jpg, a_png, clip, _ = _touch(tmp_path / "in", "b.jpg", "a.png", "clip.mp4", "notes.txt")
    _touch(tmp_path / "in", ".hidden.jpg")
    assert expand_targets([tmp_path / "in"]) == [a_png, b_jpg, clip]  # sorted, media only
    # In the order given, each once.
    assert expand_targets([str(tmp_path / "in" / "*.jpg"), a_png, b_jpg]) == [b_jpg, a_png]
    c_jpg = _touch(tmp_path / "in2", "c.jpg")[0]
    assert expand_targets([str(tmp_path / "in*")]) == [a_png, b_jpg, clip, c_jpg]  # matched folders' files
    assert expand_targets([tmp_path / "missing.jpg"]) == [tmp_path / "missing.jpg"]  # fails as an item
    with pytest.raises(BadInput, match="matches no file"):
        expand_targets([str(tmp_path / "in" / "*.webp")])
    with pytest.raises(BadInput, match="holds no"):
        expand_targets([(tmp_path / "empty").mkdir() or tmp_path / "empty"])


def test_each_source_entry_is_one_person(tmp_path: Path) -> None:
    photos = _touch(tmp_path / "obama", "1.jpg", "2.jpg")
    single = _touch(tmp_path, "biden.jpg")[0]
    assert expand_people([tmp_path / "obama", single]) == [tuple(photos), (single,)]


def test_names_keep_the_photo_extension_and_give_videos_the_container(tmp_path: Path) -> None:
    targets = _touch(tmp_path, "shot.jpeg", "scan.bmp", "clip.mov")
    kinds = {"shot.jpeg": "photo", "scan.bmp": "photo", "clip.mov": "video"}
    items = plan_batch(
        [(tmp_path / "me.jpg",)],
        targets,
        tmp_path / "out",
        _describe,
        lambda p: kinds[p.name],
        container="mkv",
    )
    assert [i.name for i in items] == ["shot_swapped.jpeg", "scan_swapped.png", "clip_swapped.mkv"]
    assert all(i.output.parent == tmp_path / "out" and i.spec is not None for i in items)


def test_several_people_get_their_name_in_the_default_pattern(tmp_path: Path) -> None:
    people = [(tmp_path / "ann.jpg",), (tmp_path / "bob.jpg",)]
    items = plan_batch(people, [tmp_path / "t.jpg"], tmp_path, _describe, lambda p: "photo")
    assert [i.name for i in items] == ["t_ann_swapped.jpg", "t_bob_swapped.jpg"]
    with pytest.raises(BadInput, match="add \\{source\\}"):
        plan_batch(people, [tmp_path / "t.jpg"], tmp_path, _describe, lambda p: "photo", name="{target}")
    with pytest.raises(BadInput, match="add \\{n\\}"):
        plan_batch(
            people[:1], [tmp_path / "a/t.jpg", tmp_path / "b/t.jpg"], tmp_path, _describe, lambda p: "photo"
        )


def test_a_pattern_cannot_leave_the_output_folder() -> None:
    for bad in ("../{target}", "{target}/x", "", "{nope}"):
        with pytest.raises(BadInput):
            output_name(bad, Path("t.jpg"), [Path("s.jpg")], 1, ".jpg")
    assert output_name("{n:03d}_{source}", Path("t.jpg"), [Path("s.jpg")], 7, ".jpg") == "007_s.jpg"


def test_a_target_that_cannot_be_used_is_a_failed_item_not_an_error(tmp_path: Path) -> None:
    def kind_of(path: Path) -> str:
        if path.name == "dir.jpg":
            raise BadInput("dir.jpg is a folder")
        return "photo"

    def describe(sources, target, output, kind):  # type: ignore[no-untyped-def]
        if target.name == "b.jpg":
            raise BadInput("--restorer: photo targets only")
        return {}

    items = plan_batch([(tmp_path / "s.jpg",)], [tmp_path / n for n in ("a.jpg", "b.jpg", "dir.jpg")],
                       tmp_path, describe, kind_of)  # fmt: skip
    assert [(i.name, i.error) for i in items] == [
        ("a_swapped.jpg", ""),
        ("b_swapped.jpg", "--restorer: photo targets only"),
        ("dir_swapped.jpg", "dir.jpg is a folder"),
    ]


def test_segments_start_at_keyframes_far_enough_apart() -> None:
    keyframes = [0, 60, 120, 163, 211, 271]
    assert cut_points(keyframes, 0, 275, 45) == [0, 60, 120, 211]  # 271: a 4-frame tail stays with 211
    assert cut_points(keyframes, 0, 120, 45) == [0, 60]
    assert cut_points(keyframes, 0, 275, 600) == [0]


def test_a_batch_file_holds_the_same_fields_as_the_command_line(tmp_path: Path) -> None:
    parser = build_parser()
    toml = tmp_path / "jobs.toml"
    toml.write_text(
        'source = ["people/ann.jpg"]\ntarget = ["shots", "/abs/*.jpg"]\noutput_dir = "out"\n'
        'name = "{target}_x"\nworkers = 2\nmask_feather = 6\noverwrite = true\nkeep_target_mouth = false\n'
    )
    args = parser.parse_args(["batch", str(toml), "--target", "more.jpg", "--workers", "1"])
    merged = merged_arguments(args)
    assert merged.source == [str(tmp_path / "people/ann.jpg")]
    assert merged.target == [str(tmp_path / "shots"), "/abs/*.jpg", "more.jpg"]  # file's, then the CLI's
    assert merged.output_dir == tmp_path / "out" and merged.name == "{target}_x"
    assert merged.workers == 1  # the command line wins
    assert merged.mask_feather == 6 and merged.overwrite is True and merged.keep_target_mouth is False
    data = {"target": "a.jpg", "engine": "mesh", "all_faces": True, "json": False}
    assert file_arguments(data, tmp_path) == [
        f"--target={tmp_path / 'a.jpg'}",
        "--engine=mesh",
        "--all-faces",
    ]
    (tmp_path / "jobs.json").write_text(json.dumps({"target": "a.jpg", "output_dir": "o", "strength": 70}))
    merged = merged_arguments(parser.parse_args(["batch", str(tmp_path / "jobs.json")]))
    assert merged.strength == 70 and merged.target == [str(tmp_path / "a.jpg")]
    (tmp_path / "bad.toml").write_text("target = [")
    with pytest.raises(BadInput, match="not valid TOML"):
        merged_arguments(parser.parse_args(["batch", str(tmp_path / "bad.toml")]))
