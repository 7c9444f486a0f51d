"""The photo export's questions before a job is queued: what is missing, where to write, and whether
that folder can take the file.

The save dialog starts in the folder of the last export (remembered between runs), else in the user's
pictures folder, not in the media folder of the inputs. Writing next to an input photo is allowed but
asked first, and a folder that cannot be written is refused before anything is queued.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths

from ..app.export import default_export_folder, default_output_path, folder_write_problem, is_input_folder
from .session import SessionModel

if TYPE_CHECKING:
    from .main_window import MainWindow


def pictures_folder() -> Path:
    """The user's pictures folder (their home folder when the platform has none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def missing_for_swap(session: SessionModel) -> str:
    """What keeps the session from a swap, in words for the user (empty when nothing does)."""
    if session.loading:
        return "The photos are still being analysed; try again in a moment."
    if not session.sources:
        return "Add a source photo (the person whose face is used) first."
    if not session.usable_sources:
        return "No face was found in the source photos: add a photo where the face is clearly visible."
    target = session.target
    if target is None:
        return "Open a target photo (the photo whose faces are replaced) first."
    if not target.faces:
        return (
            f"No face was found in the target {target.path.name}, so there is nothing to swap: open a "
            "photo where a face is clearly visible."
        )
    if not session.selection:
        return "Choose at least one face to swap: click a face on the photo or in the Target panel."
    return ""


def default_export_path(window: MainWindow) -> Path:
    """``<target>_swapped.png`` in the last export's folder (or the pictures folder), numbered past any
    file there or any output of a job still queued."""
    target = window.session.target
    assert target is not None
    taken = [job.output for job in window.runner.queue.jobs() if job.output and not job.state.is_final]
    folder = default_export_folder(window.user_settings.last_export_folder, pictures_folder())
    return default_output_path(target.path, taken, folder=folder)


def confirm_folder(window: MainWindow, output: Path, also: tuple[Path, ...] = ()) -> bool:
    """False, after saying why, when ``output``'s folder cannot be written; asks before writing next to
    the input photos (an export there is easily mistaken for, or mixed up with, an original); ``also``:
    more inputs (a video target)."""
    problem = folder_write_problem(output.parent)
    if problem:
        window.show_error(f"Cannot export there: {problem}. Choose another folder.")
        return False
    inputs = list(window.session.usable_sources) + list(also)
    if window.session.target is not None:
        inputs.append(window.session.target.path)
    if is_input_folder(output, inputs):
        return window.confirm(
            "Export next to your photos?",
            f"{output.parent} holds the photos you are working from. Write the swapped image "
            f"{output.name} there, next to them?",
        )
    return True


def remember_folder(window: MainWindow, output: Path) -> None:
    """The next export's dialog starts where this one was written."""
    window.user_settings = window.user_settings.with_changes(last_export_folder=str(output.parent))
