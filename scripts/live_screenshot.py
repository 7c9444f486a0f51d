"""A screenshot of Live mode in a real X server, fed by the file-backed camera (the shared Obama clip in
real time, Biden's photo as the source), recording.

Usage: ``xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python scripts/live_screenshot.py
[--out docs/screenshots/live_mode.png]``. Uses a throw-away config and output folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import MEDIA, open_window, settle, wait_until

from faceswap_desktop.app.user_settings import UserSettings
from faceswap_desktop.qt.live_panel import FILE_CAMERA

ROOT = Path(__file__).resolve().parents[1]
CLIP = MEDIA.parent / "videos" / "Obama_speaking.mp4"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "live_mode.png")
    parser.add_argument("--size", default="1440x900")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="faceswap-live-shot-"))
    app, window = open_window(
        work, UserSettings(consent_accepted=True, theme="dark"), (width, height), "dark"
    )
    live = window.live
    try:
        window.session.add_sources([MEDIA / "identity/biden/biden.jpg"])
        wait_until(app, lambda: len(window.session.usable_sources) == 1, 60)
        combo = live.panel.camera_combo
        combo.setCurrentIndex(combo.findData(FILE_CAMERA))
        live.file_camera, live.output_folder = CLIP, work
        live.confirm_consent = lambda: True  # the dialog is the one of the first start (tested)
        live.panel.mirror_box.setChecked(True)
        live.start()
        wait_until(app, lambda: live.active and live.view.frames_shown > 30, 60)
        live.panel.record_button.setChecked(True)
        wait_until(app, lambda: live.runner is not None and live.runner.recording, 30)
        wait_until(app, lambda: bool(window.similarity_panel.gauges), 30)
        settle(app, 1.5)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        crop = f"{width}x{height}+0+0"
        subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(args.out)], check=True)
        print(f"wrote {args.out}; {live.panel.status_label.text()}")
        live.stop()
        wait_until(app, lambda: not live.active, 60)
        print(live.last_end.message if live.last_end else "no end")
    finally:
        window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
