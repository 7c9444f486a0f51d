"""Assigning sources from the cast chips, and who wins when one person is given two sources (issue #22).

Hamilton with Biden's photo as the source photos (S1) and Alex Lacamoire's as a further identity (S2):
a cast chip's "Replace with" menu maps S2 to that person; the faces of the frame on screen name the
person S2 replaces ("S2 (person 3)", not "Other face"); clicking that face makes them the source photos'
person, and then S2 is skipped (the source photos win), which the status line says.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from test_video_cast import SCAN_TIMEOUT_MS
from test_video_mapping import FRAME, LACAMOIRE
from test_video_person import open_video
from test_video_timeline import wait_for_frame

from faceswap_desktop.app.cast import member_at
from faceswap_desktop.app.person_map import PersonSources
from faceswap_desktop.app.video_session import ReferenceChoice
from faceswap_desktop.qt.main_window import MainWindow


def actions(menu: QMenu) -> dict[str, QAction]:
    return {a.text(): a for a in menu.actions() if a.text() and not a.isSeparator()}


def test_a_cast_chip_assigns_a_source_and_the_source_photos_win_over_a_further_one(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow
) -> None:
    open_video(qtbot, window)
    video, panel, strip = window.video, window.video.more_people, window.video.cast_strip
    qtbot.waitUntil(lambda: video.cast is not None, timeout=SCAN_TIMEOUT_MS)
    cast = video.cast
    assert cast is not None
    strip.chips[1].click()  # S1, the source photos, replace person 2 (Barack Obama)
    assert panel.add_identity([LACAMOIRE], person=1) is not None  # S2 -> person 1 for now

    menu = actions(strip.menu_for(3))
    assert list(menu)[:2] == ["S1: biden2.jpg", f"S2: {LACAMOIRE.name}"] and "Other photos…" in menu
    assert not any(a.isChecked() for a in menu.values()) and not any("Don't" in t for t in menu)
    menu[f"S2: {LACAMOIRE.name}"].trigger()
    assert panel.mappings() == (PersonSources((LACAMOIRE,), 3),)
    assert strip.chips[2].text().endswith("→ S2") and not strip.chips[0].text().endswith("→ S2")
    assert "S2 now replaces person 3" in window.status_label.text()
    again = actions(strip.menu_for(3))
    assert again[f"S2: {LACAMOIRE.name}"].isChecked() and "Don't replace (remove S2)" in again
    assert actions(strip.menu_for(2))["S1: biden2.jpg"].isChecked()
    # The row shows whole at the Source dock's default height (the photo list is kept to one row).
    qtbot.waitUntil(lambda: panel.rows[0].visibleRegion().boundingRect().size() == panel.rows[0].size())

    # The faces of the frame: person 2 is Person A, person 3's face says who replaces them.
    video.model.set_position(FRAME)
    shown = wait_for_frame(qtbot, window, FRAME)
    members = [member_at(cast, FRAME, face.box) for face in shown.faces]
    assert 2 in members and 3 in members
    chips = window.target_panel.person_chips
    woman = members.index(3)
    assert chips[woman].text() == "S2 (person 3)" and video.view.labels[woman] == "S2"
    assert chips[members.index(2)].text() == "Person A"
    assert all(chips[i].text() == "Other face" for i, n in enumerate(members) if n not in (2, 3))

    # Clicking S2's face gives that person to the source photos: S2 is skipped, not swapped twice.
    chips[woman].click()
    assert video.reference == ReferenceChoice(FRAME, woman) and video.chosen_person() == 3
    assert panel.conflicts() == [0] and panel.mappings() == ()
    assert "S2 (person 3) skipped" in window.status_label.text()
    assert strip.chips[2].isChecked() and not strip.chips[2].text().endswith("→ S2")
    shown = wait_for_frame(qtbot, window, FRAME)
    assert shown.request.more_people == () and shown.request.reference == ReferenceChoice(FRAME, woman)

    # The source photos back on person 1 (a chip's menu): S2 replaces person 3 again; then nobody.
    actions(strip.menu_for(1))["S1: biden2.jpg"].trigger()
    assert video.reference == ReferenceChoice(person=1)
    assert panel.mappings() == (PersonSources((LACAMOIRE,), 3),)
    actions(strip.menu_for(3))["Don't replace (remove S2)"].trigger()
    assert panel.mappings() == () and panel.identities == []
