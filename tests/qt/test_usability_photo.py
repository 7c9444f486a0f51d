"""Photo workflow usability (issue #16): export folders, messages, gauges, choosing faces, controls."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QComboBox, QSlider, QSpinBox
from qt_helpers import BIDEN, OBAMA, PREVIEW_TIMEOUT_MS, TWO_PEOPLE, load_inputs, wait_for_preview

from faceswap_desktop.core.media.image_io import write_image
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.qt.dialogs import ConsentDialog
from faceswap_desktop.qt.main_window import MainWindow
from faceswap_desktop.qt.theme import apply_theme
from faceswap_desktop.qt.tooltips import wrapped_tooltip
from faceswap_desktop.qt.video_export_dialog import default_video_output


def exported(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.runner.queue.pending_count() == 0, timeout=PREVIEW_TIMEOUT_MS)


def test_the_next_export_starts_in_the_last_export_folder(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    chosen = tmp_path / "my exports"
    chosen.mkdir()
    asked: list[Path] = []

    def ask(default: Path) -> Path:  # the user picks a folder once, then takes the offered name
        asked.append(default)
        return chosen / "first.png" if len(asked) == 1 else default

    monkeypatch.setattr(window, "ask_output_path", ask)
    window.export()
    exported(qtbot, window)
    assert (chosen / "first.png").is_file()
    window.export()  # the dialog now starts where the first export went
    exported(qtbot, window)
    assert asked[1].parent == chosen and asked[1].name == "biden2_swapped.png"
    window.shutdown()
    assert window.store.load().last_export_folder == str(chosen)  # remembered for the next run


def test_writing_next_to_the_inputs_is_asked_first(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    source, target = tmp_path / "obama.jpg", tmp_path / "biden2.jpg"
    shutil.copy(OBAMA, source)
    shutil.copy(BIDEN, target)
    load_inputs(qtbot, window, [source], target)
    questions: list[str] = []
    monkeypatch.setattr(window, "ask_output_path", lambda default: tmp_path / "beside.png")
    monkeypatch.setattr(window, "confirm", lambda title, question: questions.append(question) or False)
    window.export()
    assert questions and "photos you are working from" in questions[0]
    assert window.runner.queue.jobs() == [] and not (tmp_path / "beside.png").exists()


def test_a_folder_that_cannot_take_the_file_is_refused_before_queueing(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    assert window.queue_export(tmp_path / "gone" / "out.png") is None
    assert window.runner.queue.jobs() == []
    assert "Cannot export there" in window.toast.text() and "does not exist" in window.toast.text()


def test_a_target_without_a_face_gets_the_right_message(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blank = tmp_path / "wall.png"
    write_image(blank, np.full((240, 320, 3), 128, np.uint8))
    window.session.add_sources([OBAMA])
    window.session.set_target(blank)
    qtbot.waitUntil(
        lambda: window.session.target is not None and not window.session.loading, timeout=PREVIEW_TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: len(window.session.usable_sources) == 1, timeout=PREVIEW_TIMEOUT_MS)
    window.export()
    message = window.toast.text()
    assert "No face was found in the target wall.png" in message and "source photo" not in message


def test_the_gauge_shows_the_untouched_target_and_flags_a_visible_edge(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    result = load_inputs(qtbot, window, [OBAMA], BIDEN)
    gauge = window.similarity_panel.gauges[0]
    face = result.swapped[0]
    assert face.baseline is not None and face.similarity is not None
    assert face.baseline.cosine < face.similarity.cosine  # biden before the swap is not obama
    assert "untouched target" in gauge.text() and "Before the swap this face scored" in gauge.toolTip()
    assert not gauge.edge_visible and window.similarity_panel.edge_note.isHidden()
    # Padding at its maximum with no feather: the score rises (cosine 0.986 -> 0.991 here) while the
    # seam measure finds the edge 1.4x as sharp as the picture around it (limit 1.25).
    window.session.set_settings(SwapSettings(mask_padding=20, mask_feather=0))
    flagged = wait_for_preview(qtbot, window)
    assert flagged.swapped[0].similarity.cosine > face.similarity.cosine  # type: ignore[union-attr]
    assert flagged.edges[0].visible and flagged.edges[0].seam > 1.25
    assert gauge.edge_visible and "Visible edge" in gauge.toolTip()
    assert not window.similarity_panel.edge_note.isHidden()
    assert "Mask padding 20%" in window.similarity_panel.note.text()


def test_clicking_a_face_on_the_picture_chooses_it(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], TWO_PEOPLE)
    view = window.preview
    assert window.session.selection == (0,) and len(view.faces) == 2
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.face_box(1).center().toPoint())
    assert window.session.selection == (0, 1)
    assert [chip.isChecked() for chip in window.target_panel.chips] == [True, True]
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.face_box(0).center().toPoint())
    assert window.session.selection == (1,)
    assert view.fit  # a click is not a pan: the view stays fitted


def test_actual_size_centres_on_the_chosen_face(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    load_inputs(qtbot, window, [OBAMA], BIDEN)
    window.actions_by_name["actual"].trigger()
    view = window.preview
    assert view.scale() == 1.0
    cx, cy = view.faces[0].center
    on_screen = view.origin() + QPointF(cx, cy)
    assert abs(on_screen.x() - view.width() / 2) < 1 and abs(on_screen.y() - view.height() / 2) < 1


def test_settings_show_plain_names_and_step_finely(window: MainWindow) -> None:
    combos = [e for e in window.settings_panel.editors.values() if isinstance(e, QComboBox)]
    texts = [combo.itemText(i) for combo in combos for i in range(combo.count())]
    assert "Match tone only (LAB mean)" in texts and "Keep target's shading" in texts
    assert not [text for text in texts if "_" in text or text in ("Lab_mean", "Lowfreq", "Lab")]
    padding = window.settings_panel.editors["mask_padding"]
    spin = window.settings_panel.editors["mask_padding.spin"]
    assert isinstance(padding, QSlider) and isinstance(spin, QSpinBox)
    assert padding.singleStep() == 1 and padding.focusPolicy() == Qt.FocusPolicy.StrongFocus
    padding.setFocus()
    padding.triggerAction(QSlider.SliderAction.SliderSingleStepAdd)  # what the Right arrow key does
    assert window.session.settings.mask_padding == 1 and spin.value() == 1
    assert spin.buttonSymbols() != QSpinBox.ButtonSymbols.NoButtons


def test_long_tooltips_are_wrapped() -> None:
    short = "Zoom in"
    long = "How the source skin tone is matched to the target: " * 3
    assert wrapped_tooltip(short) == short
    wrapped = wrapped_tooltip(long)
    assert GuiQt.mightBeRichText(wrapped) and "skin tone" in wrapped


def test_consent_continue_looks_disabled_until_ticked(qtbot) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")
    dialog = ConsentDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    button = dialog.continue_button
    QApplication.processEvents()
    disabled = button.grab().toImage()
    assert not button.isEnabled() and "Tick" in button.toolTip() and dialog.hint.isVisible()
    dialog.confirm.setChecked(True)
    QApplication.processEvents()
    enabled = button.grab().toImage()
    assert button.isEnabled() and not dialog.hint.isVisible()
    centre = (enabled.width() // 4, enabled.height() // 2)  # a point of the fill, left of the text
    a, b = disabled.pixelColor(*centre), enabled.pixelColor(*centre)
    assert abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) > 60


def test_a_video_export_also_starts_in_the_export_folder(tmp_path: Path) -> None:
    clip, folder = tmp_path / "media" / "clip.mp4", tmp_path / "exports"
    assert default_video_output(clip, folder=folder) == folder / "clip_swapped.mp4"
    assert default_video_output(clip) == clip.parent / "clip_swapped.mp4"
