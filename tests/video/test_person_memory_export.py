"""An export keeps its person's slow statistics between frames and forgets them at a scene cut
(core/video/person_memory.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap_desktop.app import video as video_module
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.mesh.slow_stats import StatsTicket
from faceswap_desktop.core.settings import SwapSettings
from faceswap_desktop.core.types import Face, Image
from faceswap_desktop.core.video.person_memory import PersonMemory
from tests.video.conftest import BIDEN, HAMILTON, around_first_cut


@pytest.mark.slow
def test_the_export_reuses_statistics_and_measures_afresh_after_a_cut(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch
) -> None:
    _cut, _first, start, end = around_first_cut(HAMILTON, 8, 4)
    events: list[tuple[str, bool]] = []  # ("reset", _) or ("ticket", measures), in frame order

    class Recording(PersonMemory):
        def reset(self) -> None:
            events.append(("reset", True))
            super().reset()

        def ticket(self, frame: Image, face: Face, settings: object = None) -> StatsTicket:
            ticket = super().ticket(frame, face, settings)
            events.append(("ticket", ticket.measures))
            return ticket

    monkeypatch.setattr(video_module, "PersonMemory", Recording)
    request = VideoExportRequest(
        sources=(BIDEN,), target=HAMILTON, output=tmp_path / "cut.mp4", settings=SwapSettings(), start=start,
        end=end, embedder="none", judge=None, encode=EncodeOptions(preset="ultrafast", audio="none"),
    )  # fmt: skip
    list(VideoExportJob(context, request).run())
    tickets = [measures for kind, measures in events if kind == "ticket"]
    assert tickets and tickets[0] and not all(tickets)  # the first frame measures, some frames reuse
    assert ("reset", True) in events
    # Every reset is followed by a measuring frame, never by one that reuses what came before the cut.
    for position, (kind, _) in enumerate(events):
        if kind == "reset":
            following = [measures for k, measures in events[position + 1 :] if k == "ticket"]
            assert not following or following[0]
