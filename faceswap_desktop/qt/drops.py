"""Turning drag-and-drop data into file paths (views only convert; the model does the work)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.bmp);;All files (*)"
TARGET_FILTER = (
    "Photos and videos (*.jpg *.jpeg *.png *.webp *.bmp *.mp4 *.mov *.m4v *.mkv *.webm *.avi);;"
    "Images (*.jpg *.jpeg *.png *.webp *.bmp);;Videos (*.mp4 *.mov *.m4v *.mkv *.webm *.avi);;All files (*)"
)


def dropped_paths(mime: QMimeData) -> list[Path]:
    """Local file paths carried by a drop, in order (folders and remote URLs are skipped)."""
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if not path.is_dir()]
