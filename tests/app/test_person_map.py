"""``--map PHOTO[,PHOTO...]=N``: parsing and the checks made before an export starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap_desktop.app.job_specs import JobSpec, video_spec
from faceswap_desktop.app.person_map import PersonSources, check_mappings, parse_person_map
from faceswap_desktop.app.video import VideoExportRequest
from faceswap_desktop.core.errors import BadInput


def test_a_map_names_photos_and_a_person() -> None:
    assert parse_person_map("a.jpg,b c.png=3") == PersonSources((Path("a.jpg"), Path("b c.png")), 3)
    assert parse_person_map("odd=name.jpg=2") == PersonSources((Path("odd=name.jpg"),), 2)
    for bad in ("a.jpg", "=2", "a.jpg=two", "a.jpg=0"):
        with pytest.raises(BadInput):
            parse_person_map(bad)


def test_each_person_is_mapped_once_and_with_photos() -> None:
    check_mappings(1, [PersonSources((Path("a.jpg"),), 2)])
    with pytest.raises(BadInput, match="mapped twice"):
        check_mappings(2, [PersonSources((Path("a.jpg"),), 2)])
    with pytest.raises(BadInput, match="no photo"):
        check_mappings(None, [PersonSources((), 2)])


def test_a_queued_job_keeps_its_further_people(tmp_path: Path) -> None:
    request = VideoExportRequest(
        sources=(tmp_path / "a.jpg",),
        target=tmp_path / "clip.mp4",
        output=tmp_path / "out.mp4",
        more_people=(PersonSources((tmp_path / "b.jpg", tmp_path / "c.jpg"), 2),),
    )
    saved = video_spec(request).to_dict()
    assert JobSpec.from_dict(saved).request.more_people == request.more_people
