"""GUI entry point."""

from __future__ import annotations

import sys


def run_gui() -> int:
    """Start the Qt application with a main window; returns the exit code."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    window = QMainWindow()
    window.setWindowTitle("faceswap-desktop")
    window.setCentralWidget(QLabel("Drop a source photo and a target photo to start."))
    window.resize(1280, 800)
    window.show()
    return int(app.exec())
