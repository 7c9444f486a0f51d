"""Previews honour a mapping of several source identities to cast members (``MappedPreview``).

On ``short_hamilton_clip.mp4`` in the audience shot (frames 222-230): Barack Obama (person 2) gets
Biden's face as the main person and the woman at the left edge (person 3) Alex Lacamoire's. The quick
scrub render swaps both where the cast places them and leaves every other face as it was; the settled
render is the very frame the export (same mapping, ``more_people``) hands to its encoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app import video as video_module
from faceswap_desktop.app.cast_cache import load_or_scan_cast
from faceswap_desktop.app.context import DEFAULT_JUDGE
from faceswap_desktop.app.person_map import MappedPreview, PersonSources, cast_face
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.app.video_session import ReferenceChoice, VideoSession
from faceswap_desktop.core.media.guarded_decode import load_image
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.settings import SwapSettings
from tests.video.conftest import BIDEN, HAMILTON

LACAMOIRE = BIDEN.parents[1] / "alex_lacamoire" / "alex_lacamoire1.jpg"
SETTINGS = SwapSettings(strength=90, mask_feather=7)
FIRST, LAST = 222, 230
MAPPING = PersonSources((LACAMOIRE,), 3)


def changed(before: np.ndarray, after: np.ndarray, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (max(int(v), 0) for v in box)
    return float(np.abs(after[y0:y1, x0:x1].astype(int) - before[y0:y1, x0:x1].astype(int)).mean())


@pytest.mark.slow
def test_scrub_and_settled_previews_swap_every_mapped_person_like_the_export(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch
) -> None:
    frames: list[np.ndarray] = []

    class CapturingWriter(video_module.VideoWriter):
        def write(self, image, pts, seconds):  # type: ignore[no-untyped-def]
            frames.append(image.copy())
            return super().write(image, pts, seconds)

    session = VideoSession(context, HAMILTON)
    try:
        session.cast = cast = load_or_scan_cast(session.reader, session.detector, session.embedder)
        monkeypatch.setattr(video_module, "VideoWriter", CapturingWriter)
        request = VideoExportRequest(
            sources=(BIDEN,),
            target=HAMILTON,
            output=tmp_path / "mapped.mp4",
            settings=SETTINGS,
            encode=EncodeOptions(audio="none"),
            start=session.reader.time_of(FIRST),
            end=session.reader.time_of(LAST + 1),
            reference=ReferenceChoice(person=2),
            more_people=(MAPPING,),
            judge=DEFAULT_JUDGE,
            score_every=3,
        )
        job = VideoExportJob(context, request)
        for _ in job.run():
            pass
        assert len(frames) == LAST + 1 - FIRST
        # The report is per person: each further person's frames and similarity, per frame and in all.
        assert job.report is not None
        report = job.report.to_dict()
        woman = report["more_people"][0]
        per_frame = [e for f in report["per_frame"] for e in f.get("more_people", []) if e["person"] == 3]
        assert woman["person"] == 3 and woman["frames_swapped"] == len(per_frame) >= 0.95 * len(frames)
        measured = [e["similarity_percent"] for e in per_frame if "similarity_percent" in e]
        assert woman["similarity_frames_measured"] == len(measured) >= 2
        assert woman["similarity_percent_mean"] == pytest.approx(np.mean(measured), abs=0.06)
        assert report["similarity_frames_measured"] >= 2  # the main person's, apart

        session.set_source([load_image(BIDEN)])
        session.choose_reference(ReferenceChoice(person=2))
        mapped = MappedPreview([MAPPING], [session.pipeline.prepare_source([load_image(LACAMOIRE)])])
        index = 228  # a scanned frame: Obama, the woman at the left edge and another audience member
        original = session.frame(index).copy()
        quick = mapped.swap_quick(session, session.preview(index, SETTINGS), SETTINGS)
        assert quick.track.face is not None and quick.more_swapped == (3,)
        woman = cast_face(cast, 3, index, quick.faces, quick.track.face)
        assert woman is not None
        assert changed(original, quick.image, quick.track.face.box) > 4
        assert changed(original, quick.image, woman.box) > 4
        others = [f for f in quick.faces if f is not woman and f is not quick.track.face]
        assert others and all(changed(original, quick.image, f.box) == 0 for f in others)
        np.testing.assert_array_equal(session.frame(index), original)  # the cached frame is intact

        for index in (LAST, FIRST + 2):  # a seek backwards, then forwards
            settled = mapped.swap_as_export(session, index, SETTINGS, FIRST)
            assert settled is not None and 3 in settled.more_swapped
            np.testing.assert_array_equal(settled.image, frames[index - FIRST], err_msg=f"frame {index}")
        # Without the mapping the woman's face is left as it was: the mapping is what swapped her.
        plain = session.preview_as_export(LAST, SETTINGS, FIRST)
        assert plain is not None and np.abs(plain.image.astype(int) - frames[-1].astype(int)).max() > 20
    finally:
        session.close()
