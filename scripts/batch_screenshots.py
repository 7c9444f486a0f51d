"""Screenshots of batches in the real window, in a real X server (Xvfb): the batch dialog, and the Jobs
panel with finished batches (each item's state, identity score and reason).

Usage: ``xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python scripts/batch_screenshots.py
[--out docs/screenshots]``. Renders on this machine's process pool (2 workers) into a temporary folder:
a first batch of two photos, then a bigger one over the same folder, whose items are done, skipped
(rendered by the first) or failed (a truncated JPEG, a text file named .png).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import MEDIA, open_window, preview_current, settle, wait_until
from xvfb_screenshots import shoot

from faceswap_desktop.app.user_settings import UserSettings

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = [
    MEDIA / "identity/biden/biden2.jpg",
    MEDIA / "misc/single_paul_rudd.jpg",
    MEDIA / "misc/single_kate_siegel.jpg",
    MEDIA / "misc/single_shea_whigham.jpg",
    MEDIA / "misc/single_angelina_jolie.jpg",
]
WIDTH, HEIGHT = 1440, 960


def targets(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for photo in PHOTOS:
        shutil.copy(photo, folder / photo.name)
    (folder / "broken.jpg").write_bytes(PHOTOS[0].read_bytes()[:400])  # cut after its header
    (folder / "notes.png").write_text("not a picture")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="faceswap-batch-shots-"))
    app, window = open_window(
        work, UserSettings(consent_accepted=True, cluster_address="10.0.0.5:6379"), (WIDTH, HEIGHT), "dark"
    )
    shots = targets(work / "shots")
    out = work / "swapped"
    try:
        window.session.add_sources([MEDIA / "identity/obama/obama.jpg"])
        window.session.set_target(PHOTOS[0])
        wait_until(app, lambda: preview_current(window), 120)
        first = window.batch.open_dialog()
        first.add_targets([str(shots / "biden2.jpg"), str(shots / "single_paul_rudd.jpg")])
        first.output_dir.setText(str(out))
        first.workers.setValue(2)
        first.start_button.click()
        dialog = window.batch.open_dialog()
        dialog.add_targets([str(shots), str(MEDIA / "identity/deepface_p0[12]/*.jpg")])
        dialog.output_dir.setText(str(out))
        dialog.workers.setValue(2)
        dialog.move(window.x() + (WIDTH - dialog.width()) // 2, 120)
        settle(app, 1.0)
        shoot(app, args.out / "batch_dialog.png", WIDTH, HEIGHT)
        dialog.start_button.click()
        wait_until(app, lambda: window.runner.queue.pending_count() == 0, 900)
        settle(app, 0.5)
        jobs = window.docks[4]
        window.resizeDocks([jobs], [560], Qt.Orientation.Vertical)
        settle(app, 1.0)
        shoot(app, args.out / "batch_jobs_panel.png", WIDTH, HEIGHT)
    finally:
        window.shutdown()
        window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
