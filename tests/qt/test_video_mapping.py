"""Several source identities mapped to several cast members in the window (issue #22).

The source panel's photos replace the chosen person (person 2 here, Barack Obama: a cast chip); the
"More people" panel under them holds a further identity (Alex Lacamoire's photo) with a "→ Person N"
picker, set to person 3 (the woman at the left edge of the audience shot). The scrub preview, the
settled render and the export all replace both, and nobody else.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from qt_helpers import BIDEN
from test_video_cast import SCAN_TIMEOUT_MS
from test_video_person import HAMILTON, change_in, frame_of, open_video
from test_video_timeline import wait_for_frame

from faceswap_desktop.app.cast import Cast, CastMember
from faceswap_desktop.app.jobs import JobState
from faceswap_desktop.app.person_map import PersonSources
from faceswap_desktop.app.session_snapshot import SessionSnapshot, VideoState, snapshot_from_dict
from faceswap_desktop.app.video_session import ReferenceChoice
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.people_map_panel import MorePeoplePanel, merged_ranges
from faceswap_desktop.qt.video_export_dialog import VideoExportChoice

LACAMOIRE = BIDEN.parents[1] / "alex_lacamoire" / "alex_lacamoire1.jpg"
FRAME = 228
"""A scanned frame of the audience shot: Obama (person 2), the woman at the left edge (3), person 6."""


def test_two_source_identities_replace_two_cast_members_in_preview_and_export(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    open_video(qtbot, window)
    video, panel, strip = window.video, window.video.more_people, window.video.cast_strip
    assert not panel.isHidden()
    assert not panel.add_button.isEnabled()  # no cast yet: nobody to map
    qtbot.waitUntil(lambda: video.cast is not None, timeout=SCAN_TIMEOUT_MS)
    cast = video.cast
    assert cast is not None and panel.add_button.isEnabled()
    qtbot.mouseClick(strip.chips[1], Qt.MouseButton.LeftButton)  # the main source replaces person 2
    assert video.reference == ReferenceChoice(person=2)

    # A further identity maps by default to the most present person nobody replaces yet: person 1.
    assert panel.add_identity([LACAMOIRE]) is not None
    assert panel.mappings() == (PersonSources((LACAMOIRE,), 1),)
    assert strip.chips[0].text().endswith("→ S2")
    picker = panel.pickers[0]
    picker.setCurrentIndex(picker.findData(3))  # as a user picks "→ Person 3"
    assert panel.mappings() == (PersonSources((LACAMOIRE,), 3),)
    assert strip.chips[2].text().endswith("→ S2") and not strip.chips[0].text().endswith("→ S2")
    assert video.model.presence == merged_ranges([cast.person(2).ranges, cast.person(3).ranges])
    assert "Photos above (S1) → person 2; 2 people replaced" in panel.note.text()

    # Mapping the main person again is flagged and skipped, not sent twice to the export.
    panel.add_identity([LACAMOIRE], person=2)
    assert panel.conflicts() == [1] and len(panel.mappings()) == 1
    assert "skipped" in panel.labels[1].text()
    panel.remove(1)
    assert panel.conflicts() == [] and len(panel.identities) == 1

    video.model.set_position(FRAME)
    shown = wait_for_frame(qtbot, window, FRAME)
    assert shown.request.more_people == (PersonSources((LACAMOIRE,), 3),)
    qtbot.waitUntil(lambda: video.last_result is not None and video.last_result.settled, timeout=60_000)
    settled = video.last_result
    assert settled is not None and settled.request.index == FRAME and settled.more_swapped == (3,)
    original = frame_of(HAMILTON, FRAME)
    woman = [s for s in cast.person(3).sightings if s.frame == FRAME]
    others = [s for m in cast.people if m.number not in (2, 3) for s in m.sightings if s.frame == FRAME]
    assert woman and others and settled.chosen is not None
    box = woman[0].box

    def change(image: np.ndarray, at: tuple[float, float, float, float]) -> float:
        x0, y0, x1, y1 = (max(int(v), 0) for v in at)
        return float(np.abs(image[y0:y1, x0:x1].astype(int) - original[y0:y1, x0:x1].astype(int)).mean())

    assert change_in(original, settled.frame, settled.faces[settled.chosen]) > 4  # Obama
    assert change(settled.frame, box) > 4  # the woman
    assert all(change(settled.frame, s.box) == 0 for s in others)

    # The export (frames 222-230) replaces both as well, and the spec records the mapping.
    output = tmp_path / "mapped.mp4"
    choice = VideoExportChoice(output, EncodeOptions(preset="ultrafast", crf=12), 222, 230)
    info = video.queue_export(choice)
    assert info is not None
    qtbot.waitUntil(lambda: window.runner.queue.get(info.job_id).state.is_final, timeout=120_000)
    done = window.runner.queue.get(info.job_id)
    assert done.state is JobState.DONE, done.error
    with VideoReader(output) as reader:
        exported = reader.frame_at(FRAME - 222)
    assert change_in(original, exported, settled.faces[settled.chosen]) > 4
    assert change(exported, box) > 4
    assert all(change(exported, s.box) < 3.5 for s in others)  # the encoder's noise only

    # The identity plot is per person: the export's records of person 3 go to their own series, and the
    # timeline's picker switches the plot between the two people replaced.
    picker, model = video.timeline.plot_picker, video.model
    assert not picker.isHidden() and picker.count() == 2 and picker.itemData(1) == 3
    qtbot.waitUntil(lambda: len(model.people_identity.get(3, {})) >= 0.95 * 9, timeout=10_000)
    measured = [v for v in model.people_identity[3].values() if v is not None and v == v]
    assert measured and all(0 <= v <= 100 for v in measured)
    assert model.plotted_identity() is model.identity
    picker.setCurrentIndex(1)
    assert model.plotted_person == 3 and model.plotted_identity() == model.people_identity[3]
    assert model.plotted_identity() != model.identity


def _cast(people: int) -> Cast:
    thumbnail = np.full((16, 16, 3), 128, np.uint8)
    members = tuple(
        CastMember(n, (), thumbnail, 0, 30, 1.0, 80.0, ((0, 29),), 1.0 / n, 1) for n in range(1, people + 1)
    )
    return Cast(Path("clip.mp4"), 100, 30.0, 360, 3, "fake", members)


def test_a_restored_mapping_waits_for_the_cast_and_survives_the_snapshot(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = MorePeoplePanel()
    qtbot.addWidget(panel)
    changes: list[int] = []
    panel.changed.connect(lambda: changes.append(1))
    photos = (tmp_path / "a.jpg", tmp_path / "b.jpg")
    panel.restore([(photos, 3), ((tmp_path / "c.jpg",), 9)])
    assert panel.mappings() == () and not changes  # no cast yet: nothing to map to
    panel.set_cast(_cast(4), main_person=1)
    assert panel.mappings() == (PersonSources(photos, 3),)  # person 9 is not in this cast: dropped
    assert changes and panel.labels[0].text() == "S2: a.jpg +1"
    panel.reset()
    assert panel.mappings() == () and panel.pending == []

    video = VideoState(position=5, more_people=((tuple(str(p) for p in photos), 3),))
    snapshot = SessionSnapshot(target="clip.mp4", video=video)
    assert snapshot_from_dict(snapshot.to_dict()) == snapshot
    assert "more people replaced: 3" in snapshot.describe()


def test_a_further_source_can_replace_someone_only_glimpsed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The cast's others get no chip, but the "More people" picker offers them after the people."""
    cast = _cast(3)
    glimpsed = dataclasses.replace(cast.people[2], number=4)
    cast = dataclasses.replace(cast, people=cast.people[:2], others=(glimpsed,))
    panel = MorePeoplePanel()
    qtbot.addWidget(panel)
    panel.set_cast(cast, main_person=1)
    assert panel.add_identity([tmp_path / "a.jpg"]) is not None  # the free person comes first
    assert panel.mappings() == (PersonSources((tmp_path / "a.jpg",), 2),)
    picker = panel.pickers[0]
    assert [picker.itemText(i) for i in range(picker.count())] == [
        "→ Person 1",
        "→ Person 2",
        "→ Other 4 (glimpsed)",
    ]
    picker.setCurrentIndex(2)
    assert panel.mappings() == (PersonSources((tmp_path / "a.jpg",), 4),)
    assert panel.add_identity([tmp_path / "b.jpg"]) is not None  # person 2 is free again
    assert panel.mappings()[1] == PersonSources((tmp_path / "b.jpg",), 2)
    assert panel.add_identity([tmp_path / "c.jpg"]) is None  # everyone, the other included, is taken
