"""Screenshots of the cast of a video and of a two-person mapping, in a real X server (Xvfb).

Usage: ``xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python
scripts/xvfb_cast_screenshots.py [--out docs/screenshots]``. Opens ``short_hamilton_clip.mp4`` with
Biden's photo as the source and waits for the cast scan:

- ``video_cast_chips.png``: the cast chips in the target panel, person 1 (the default, the singer)
  checked, the playhead on frame 151;
- ``video_two_people.png``: Biden's photo (S1) replaces person 2 (Barack Obama, a chip clicked) and
  Alex Lacamoire's (S2, added under "More people") person 3, the woman at the left edge of the audience
  shot, assigned from her chip's "Replace with" menu; the playhead rests on frame 229, rendered as the
  export renders it; the faces of the frame read "Person A" and "S2 (person 3)". The Source dock keeps
  its default height (the rows fit under the photos);
- ``video_cast_menu.png``: the same, with person 3's chip menu open.

Uses a throw-away config folder and cast cache; nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import GROUP_VIDEO, MEDIA, open_window, wait_until
from xvfb_screenshots import shoot

from faceswap_desktop.app.user_settings import UserSettings

ROOT = Path(__file__).resolve().parents[1]
BIDEN = MEDIA / "identity/biden/biden2.jpg"
LACAMOIRE = MEDIA / "identity/alex_lacamoire/alex_lacamoire1.jpg"
FRAME = 228
SINGER_FRAME = 150
WIDTH, HEIGHT = 1600, 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="faceswap-castshots-"))
    os.environ["FACESWAP_CACHE_DIR"] = str(work / "cache")
    app, window = open_window(
        work, UserSettings(consent_accepted=True, theme="dark"), (WIDTH, HEIGHT), "dark"
    )
    video = window.video
    try:
        window.session.add_sources([BIDEN])
        wait_until(app, lambda: len(window.session.sources) == 1)
        window.session.set_target(GROUP_VIDEO)
        wait_until(app, lambda: video.path == GROUP_VIDEO and video.cast is not None, 180)

        def settled(people: tuple[int, ...] = ()) -> bool:
            shown = video.last_result
            return (
                shown is not None
                and shown.request == video.preview_request()
                and shown.settled
                and shown.more_swapped == people
            )

        video.model.set_position(SINGER_FRAME)
        wait_until(app, settled, 180)
        shoot(app, args.out / "video_cast_chips.png", WIDTH, HEIGHT)

        video.choose_cast_person(2)
        video.more_people.add_identity([LACAMOIRE], person=1)
        menu = video.cast_strip.menu_for(3)
        next(a for a in menu.actions() if a.text().startswith("S2:")).trigger()  # as a user picks it
        video.model.set_position(FRAME)
        wait_until(app, lambda: settled((3,)), 180)
        shoot(app, args.out / "video_two_people.png", WIDTH, HEIGHT)
        chip = video.cast_strip.chips[2]
        video.cast_strip._show_menu(3, chip.mapToGlobal(chip.rect().center()))
        shoot(app, args.out / "video_cast_menu.png", WIDTH, HEIGHT)
    finally:
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
