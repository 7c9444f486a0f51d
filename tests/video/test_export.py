"""The export job end to end on the shared clips: people kept apart, frames and audio kept, cancel, guards."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.app import video as video_module
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.core.errors import Cancelled, OutputConflict
from faceswap_desktop.core.media.guarded_decode import DecodeHelper, close_helpers
from faceswap_desktop.core.media.provenance import is_labelled_synthetic_video
from faceswap_desktop.core.media.video_io import VideoReader, probe_video
from faceswap_desktop.core.media.video_writer import EncodeOptions
from faceswap_desktop.core.mesh.mesh_engine import MeshSwapper
from faceswap_desktop.core.settings import SwapSettings

from .conftest import BIDEN, HAMILTON, OBAMA, first_packet_times

CUT = 211
"""First frame of the crowd shot in the Hamilton clip (the singer is on stage before it)."""


def face_difference(before: np.ndarray, after: np.ndarray, box: tuple[float, ...]) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return float(np.abs(before[y0:y1, x0:x1].astype(int) - after[y0:y1, x0:x1]).mean())


@pytest.mark.slow
def test_only_the_chosen_person_is_swapped_and_audio_stays_in_sync(context, analyser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "singer.mp4"
    request = VideoExportRequest(
        sources=(BIDEN,), target=HAMILTON, output=out, start=6.0, end=8.5,
        encode=EncodeOptions(crf=12, preset="ultrafast"), embedder="dlib",
    )  # fmt: skip
    job = VideoExportJob(context, request)
    progress = list(job.run())
    assert progress[-1].frames_done == progress[-1].frames_total == 75
    report = job.report
    assert report is not None
    found = {record.index: record.face_found for record in report.records}
    assert all(found[i] for i in range(180, CUT))  # the singer, tracked through his shot
    assert not any(found[i] for i in range(CUT, 255))  # the crowd: nobody is the singer

    result, source = probe_video(out), probe_video(HAMILTON)
    assert (
        result.frame_count == 75 and result.fps == source.fps and is_labelled_synthetic_video(result.metadata)
    )
    starts = first_packet_times(out)
    assert abs(starts["audio"] - starts["video"]) <= 1 / float(result.fps)

    with VideoReader(HAMILTON) as original, VideoReader(out) as swapped:
        singer_before, singer_after = original.frame_at(195), swapped.frame_at(15)
        singer = max(analyser.detect_faces(singer_before), key=lambda f: f.width)
        assert face_difference(singer_before, singer_after, singer.box) > 8
        for index in (215, 230, 245):
            before, after = original.frame_at(index), swapped.frame_at(index - 180)
            for face in analyser.detect_faces(before):  # everyone in the crowd: compression noise only
                assert face_difference(before, after, face.box) < 3, (index, face.box)


@pytest.mark.slow
def test_cancel_stops_fast_and_leaves_no_file(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cancelled.mp4"
    cancel = threading.Event()
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=out, encode=EncodeOptions(preset="ultrafast"), embedder="none"
    )
    job = VideoExportJob(context, request, cancel)
    updates = job.run()
    with pytest.raises(Cancelled):
        for progress in updates:
            if progress.frames_done == 10:
                cancel.set()
                cancelled_at = time.perf_counter()
    assert time.perf_counter() - cancelled_at < 2.0
    assert list(tmp_path.iterdir()) == []  # neither the output nor a partial file


def test_outputs_never_replace_inputs_or_existing_files(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OutputConflict, match="overwrite an input"):
        VideoExportJob(
            context, VideoExportRequest(sources=(BIDEN,), target=OBAMA, output=OBAMA, overwrite=True)
        )
    existing = tmp_path / "existing.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(OutputConflict, match="exists"):
        VideoExportJob(context, VideoExportRequest(sources=(BIDEN,), target=OBAMA, output=existing))
    with pytest.raises(OutputConflict, match=r"\.mp4"):
        VideoExportJob(context, VideoExportRequest(sources=(BIDEN,), target=OBAMA, output=tmp_path / "x.gif"))
    assert existing.read_bytes() == b"keep me"


def test_settings_per_frame_and_live_records(context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``settings_at`` is asked for every exported frame, and each progress carries that frame's record."""
    asked: list[int] = []

    def settings_at(index: int) -> SwapSettings:
        asked.append(index)
        return SwapSettings(strength=0 if index < 36 else 100)

    out = tmp_path / "keyed.mp4"
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=out, start=1.0, end=1.4, embedder="none",
        encode=EncodeOptions(crf=12, preset="ultrafast"), judge="dlib", score_every=4,
        settings_at=settings_at,
    )  # fmt: skip
    progress = list(VideoExportJob(context, request).run())
    assert sorted(asked) == list(range(30, 42))
    records = [p.record for p in progress]
    assert [r.index for r in records if r is not None] == list(range(30, 42))
    assert all(r is not None and r.face_found for r in records)
    scored = [r for r in records if r is not None and r.similarity_percent is not None]
    assert [r.index for r in scored] == [30, 34, 38]
    with VideoReader(OBAMA) as original, VideoReader(out) as swapped:
        change = [
            float(np.abs(original.frame_at(30 + i).astype(int) - swapped.frame_at(i)).mean())
            for i in range(12)
        ]
    # Strength 0, then 100. (The step was 0.80 on the engine before #19's relighting, 0.68 with it: the
    # face is closer to the target's own shading now; strength 0 throughout reads 4.5-4.9 on every frame.)
    assert max(change[:6]) < min(change[6:]) and change[6] > change[5] + 0.5


def test_the_watermark_is_on_every_frame_only_when_asked_and_the_file_is_signed(  # type: ignore[no-untyped-def]
    context, tmp_path: Path
) -> None:
    import c2pa

    from faceswap_desktop.core.media.watermark import add_watermark, watermark_box

    outputs = {}
    for watermark in (False, True):
        out = tmp_path / f"mark-{watermark}.mp4"
        request = VideoExportRequest(
            sources=(BIDEN,), target=OBAMA, output=out, start=1.0, end=1.3, embedder="none",
            encode=EncodeOptions(crf=12, preset="ultrafast"), watermark=watermark,
        )  # fmt: skip
        assert VideoExportRequest(sources=(BIDEN,), target=OBAMA, output=out).watermark is False
        job = VideoExportJob(context, request)
        list(job.run())
        assert job.report is not None and job.report.to_dict()["content_credentials"] == "signed"
        assert job.report.to_dict()["watermark"] is watermark
        outputs[watermark] = out
    plain_path, marked_path = outputs[False], outputs[True]
    with VideoReader(OBAMA) as original, VideoReader(plain_path) as plain, VideoReader(marked_path) as marked:
        x0, y0, x1, y1 = watermark_box(original.info.width, original.info.height)
        frames = marked.info.frame_count
        assert frames == plain.info.frame_count == 9
        for index in range(frames):
            source = original.frame_at(30 + index).astype(int)
            with_mark, without = marked.frame_at(index).astype(int), plain.frame_at(index).astype(int)
            corner = (slice(y0, y1), slice(x0, x1))
            # Off: the corner is the source's, H.264 noise only (measured 2.5). On: it is the unmarked
            # frame with the mark drawn (measured 1.6 off; 30 between the two exports), white text included.
            expected = add_watermark(without.astype(np.uint8)).astype(int)
            assert np.abs(without[corner] - source[corner]).mean() < 4
            assert np.abs(with_mark[corner] - expected[corner]).mean() < 4
            assert np.abs(with_mark[corner] - without[corner]).mean() > 15
            assert (with_mark[corner].min(axis=2) > 200).mean() > 0.03
            # Elsewhere both exports are the same swap (same settings, same frames).
            rest = np.ones(source.shape[:2], bool)
            rest[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8] = False  # codec blocks bleed a few pixels
            assert np.abs(with_mark[rest] - without[rest]).mean() < 1.5
    with open(outputs[True], "rb") as stream, c2pa.Reader("video/mp4", stream) as reader:
        assert "compositeWithTrainedAlgorithmicMedia" in reader.json()


def test_one_helper_decodes_the_photos_and_the_video_and_the_engine_warms_before_the_first_frame(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set-up: a helper interpreter costs ~0.35 s of CPU, so the photos are decoded in the video's own
    helper (none from the pool); the engine's first-use initialisation runs before any frame is swapped."""
    close_helpers()  # an idle pooled helper would hide a second start
    started: list[int | None] = []
    ensure_started = DecodeHelper._ensure_started

    def counting(helper: DecodeHelper):  # type: ignore[no-untyped-def]
        before = helper.pid
        connection = ensure_started(helper)
        if helper.pid != before:
            started.append(helper.pid)
        return connection

    events: list[str] = []
    warm_up, swap = MeshSwapper.warm_up, MeshSwapper.swap
    monkeypatch.setattr(DecodeHelper, "_ensure_started", counting)
    monkeypatch.setattr(MeshSwapper, "warm_up", lambda self: (events.append("warm"), warm_up(self))[1])
    monkeypatch.setattr(
        MeshSwapper,
        "swap",
        lambda self, *args, **kwargs: (events.append("swap"), swap(self, *args, **kwargs))[1],
    )
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=tmp_path / "out.mp4", start=1.0, end=1.2, embedder="none",
        judge=None, encode=EncodeOptions(crf=12, preset="ultrafast", audio="none"),
    )  # fmt: skip
    progress = list(VideoExportJob(context, request).run())
    assert progress[-1].frames_done == 6
    assert len(started) == 1
    assert events[0] == "warm" and events.count("warm") == 1 and events.count("swap") == 6
    # That helper went back to the pool: a second export (the GUI's job queue) starts none.
    started.clear()
    progress = list(VideoExportJob(context, replace(request, output=tmp_path / "again.mp4")).run())
    assert progress[-1].frames_done == 6 and started == []


def test_the_job_tracks_ahead_while_the_source_is_prepared_up_to_its_allowance(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No swap can start before the source is prepared: meanwhile the job's thread tracks frames ahead,
    up to ``tracked_ahead_while_preparing`` waiting for their swap (plus the one it waits on), and no
    further; once the source is ready every frame is swapped and written as usual."""
    from faceswap_desktop.core.video.tracking import FaceTracker

    monkeypatch.setenv("FACESWAP_CACHE_DIR", str(tmp_path / "cache"))  # no cached preparation
    monkeypatch.setattr(video_module, "tracked_ahead_while_preparing", lambda plan: 7)
    tracked: list[int] = []
    update = FaceTracker.update
    monkeypatch.setattr(
        FaceTracker,
        "update",
        lambda self, image, index, *a: (tracked.append(index), update(self, image, index, *a))[1],
    )
    seen_while_preparing: list[int] = []
    prepare = MeshSwapper.prepare_source

    def slow_prepare(self, photos):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while len(tracked) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # a job that ignored the allowance would track on meanwhile
        seen_while_preparing.append(len(tracked))
        return prepare(self, photos)

    monkeypatch.setattr(MeshSwapper, "prepare_source", slow_prepare)
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=tmp_path / "out.mp4", start=1.0, end=1.6, embedder="none",
        judge=None, encode=EncodeOptions(crf=12, preset="ultrafast", audio="none"),
    )  # fmt: skip
    progress = list(VideoExportJob(context, request).run())
    total = progress[-1].frames_total
    assert total > 8 and progress[-1].frames_done == total
    assert seen_while_preparing == [8]  # 7 waiting for their swap, the 8th waiting on the oldest
    assert tracked == sorted(set(tracked)) and len(tracked) == total
    assert probe_video(request.output).frame_count == total


def test_tracked_ahead_allowance_follows_the_memory_plan() -> None:
    """Half the encoder's frames of the plan (nothing is encoded yet while the source is prepared)."""
    from faceswap_desktop.core.media.frame_memory import plan_for_frame

    small, large = plan_for_frame(1280, 720), plan_for_frame(7680, 4320)
    assert video_module.tracked_ahead_while_preparing(small) == small.encoder_frames // 2 == 25
    assert 2 <= video_module.tracked_ahead_while_preparing(large) < 25


def test_a_person_never_in_doubt_is_not_embedded_and_the_reference_frame_is_decoded_once(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One face followed frame to frame: the tracker checks nobody (dlib is not even created) and the
    reference frame found by seeking is the first exported frame (the decoder starts after it). The
    clip's cast was scanned before (a first export scans it, and that embeds each track once)."""
    from faceswap_desktop.app.cast_cache import load_or_scan_cast
    from faceswap_desktop.app.video_session import tracker_embedder
    from faceswap_desktop.core.media.guarded_decode import GuardedVideoReader

    with GuardedVideoReader(OBAMA) as reader:
        load_or_scan_cast(
            reader, context.detector("mediapipe"), tracker_embedder(context.recognizer, "dlib", True)
        )

    created: list[str] = []
    recognizer = context.recognizer
    monkeypatch.setattr(
        context, "recognizer", lambda judge_id: (created.append(judge_id), recognizer(judge_id))[1]
    )
    seeks: list[int] = []
    runs: list[int] = []
    frame_at, frames = GuardedVideoReader.frame_at, GuardedVideoReader.frames
    monkeypatch.setattr(
        GuardedVideoReader, "frame_at", lambda self, i: (seeks.append(i), frame_at(self, i))[1]
    )
    monkeypatch.setattr(
        GuardedVideoReader, "frames", lambda self, a=0, b=None: (runs.append(a), frames(self, a, b))[1]
    )
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=tmp_path / "out.mp4", start=1.0, end=1.5, embedder="dlib",
        judge=None, encode=EncodeOptions(crf=12, preset="ultrafast", audio="none"),
    )  # fmt: skip
    job = VideoExportJob(context, request)
    progress = list(job.run())
    assert progress[-1].frames_done == 15 and all(record.face_found for record in job.report.records)
    assert created == [] and job.report.tracking_embedder == "dlib ResNet-34 (128-d)"
    assert seeks == [30] and runs == [31]


def test_decoded_frames_are_swapped_in_place_but_not_the_reference_and_the_output_is_the_same(  # type: ignore[no-untyped-def]
    context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export owns each decoded frame, so the swap draws into it instead of into a copy; the
    reference frame (kept for the tracker's deferred embedding) is never drawn into. The written video
    is the same as with a copy per frame."""
    swap = MeshSwapper.swap
    calls: list[tuple[bool, bool, bool]] = []  # (the reference frame, in place, drawn into it)
    references: list[np.ndarray] = []

    def recording(self, frame, *args, in_place: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        before = frame.copy()
        output = swap(self, frame, *args, in_place=in_place, **kwargs)
        calls.append((frame is references[-1], in_place, output.frame is frame))
        assert in_place or np.array_equal(frame, before)  # a frame not given up is left as it was
        return output

    find_reference = video_module.find_reference

    def keeping(*args, **kwargs):  # type: ignore[no-untyped-def]
        reference = find_reference(*args, **kwargs)
        references.append(reference.image.copy())
        references.append(reference.image)
        return reference

    monkeypatch.setattr(MeshSwapper, "swap", recording)
    monkeypatch.setattr(video_module, "find_reference", keeping)
    request = VideoExportRequest(
        sources=(BIDEN,), target=OBAMA, output=tmp_path / "in_place.mp4", start=1.0, end=1.3,
        embedder="none", judge=None, encode=EncodeOptions(crf=12, preset="ultrafast", audio="none"),
    )  # fmt: skip
    assert list(VideoExportJob(context, request).run())[-1].frames_done == 9
    assert len(calls) == 9 and sorted(calls) == [(False, True, True)] * 8 + [(True, False, False)]
    assert np.array_equal(references[0], references[1])

    monkeypatch.setattr(MeshSwapper, "swaps_in_place", False)
    copied = replace(request, output=tmp_path / "copied.mp4")
    calls.clear()
    list(VideoExportJob(context, copied).run())
    assert len(calls) == 9 and not any(in_place for _, in_place, _ in calls)
    with VideoReader(request.output) as drawn, VideoReader(copied.output) as reference_run:
        pairs = list(zip(drawn.frames(), reference_run.frames(), strict=True))
    assert len(pairs) == 9 and all(np.array_equal(a[1], b[1]) for a, b in pairs)


def test_a_job_keeps_the_collector_off_older_objects_and_hands_them_back() -> None:
    """Collections during a job skip the objects that existed when it started (no full walk of the
    process holding the GIL); a cycle among them that became garbage is freed once the last job ends."""
    import gc
    import weakref

    from faceswap_desktop.app.video import _collector_frozen

    class Node:
        other: object = None

    def cycle() -> weakref.ref[Node]:
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    assert gc.get_freeze_count() == 0
    gc.collect()  # counts start from zero: no automatic collection before the freeze below
    garbage_later = cycle()  # nothing refers to it any more, but only the collector can free it
    with _collector_frozen():
        assert gc.get_freeze_count() > 0
        with _collector_frozen():  # a second job meanwhile
            new = cycle()
            gc.collect()
            assert new() is None  # the job's own garbage is collected as usual
        assert gc.get_freeze_count() > 0 and garbage_later() is not None  # the first job still runs
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert garbage_later() is None
