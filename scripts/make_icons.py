"""Render the app icon's SVG master (resources/icons/faceswap-desktop.svg) into every raster the
installers and the window need: PNGs 16-1024 (Linux hicolor theme, AppImage, the window), a
multi-size .ico (Windows) and an .icns (macOS).

    .venv/bin/python scripts/make_icons.py

The outputs are committed; rerun this after editing the SVG. Needs Pillow (the test extra) for .ico and
.icns, and QtSvg (in PySide6-Essentials) for the rendering.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "resources/icons/faceswap-desktop.svg"
PNG_DIR = ROOT / "resources/icons/png"
PACKAGE_ICON = ROOT / "faceswap_desktop/resources/icons/faceswap-desktop.png"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int, target: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(MASTER))
    if not renderer.isValid():
        sys.exit(f"cannot read {MASTER}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):
        sys.exit(f"cannot write {target}")


def main() -> None:
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    assert app is not None
    for size in SIZES:
        render(size, PNG_DIR / f"faceswap-desktop-{size}.png")
    render(256, PACKAGE_ICON)
    largest = Image.open(PNG_DIR / "faceswap-desktop-1024.png")
    largest.save(ROOT / "resources/icons/faceswap-desktop.ico", sizes=[(s, s) for s in ICO_SIZES])
    largest.save(ROOT / "resources/icons/faceswap-desktop.icns")
    print(f"wrote {len(SIZES)} PNGs, the package icon, .ico and .icns")


if __name__ == "__main__":
    main()
