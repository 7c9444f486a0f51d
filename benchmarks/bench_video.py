"""Video benchmark on one 720p clip: transcode vs swap-export fps, peak memory, scrub latency, stability.

Run: ``.venv/bin/python benchmarks/bench_video.py [--frames 90] [--workers 2]``;
``--whole-process`` instead runs the CLI as a user does (see :func:`whole_process`). The shared
``Obama_speaking.mp4`` (512x388) is scaled to fit 1280x720 (reflect-padded) and re-encoded with a
keyframe every 2 s; a copy looped 10x measures whether memory grows with length. The headline export
runs cold (fresh context, engine unused, no idle decoding helper); the same export again in the same
process, as the GUI usually finds things, is printed after it, labelled. Prints numbers;
asserts nothing. Wall-clock numbers move with whatever else runs on the machine (the load average is
printed at the start and the end); the export's CPU per stage (``ExportReport.cpu_ms``) moves far less.
See docs/video_performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceswap_desktop.app.context import AppContext, create_context
from faceswap_desktop.app.export_pacing import swap_workers
from faceswap_desktop.app.video import VideoExportJob, VideoExportRequest
from faceswap_desktop.app.video_session import VideoSession
from faceswap_desktop.core.identity import cosine
from faceswap_desktop.core.media.guarded_decode import GuardedVideoReader
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.video_io import VideoReader
from faceswap_desktop.core.media.video_writer import EncodeOptions, VideoWriter
from faceswap_desktop.core.settings import SwapSettings

SHARED = Path(os.environ.get("FACESWAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
CLIP = SHARED / "media" / "videos" / "Obama_speaking.mp4"
SOURCE = SHARED / "media" / "images" / "identity" / "biden" / "biden2.jpg"
CROWD = SHARED / "media" / "videos" / "short_hamilton_clip.mp4"


def fit_720p(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(1280 / w, 720 / h)
    resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    pad_x, pad_y = 1280 - resized.shape[1], 720 - resized.shape[0]
    return cv2.copyMakeBorder(
        resized, pad_y // 2, pad_y - pad_y // 2, pad_x // 2, pad_x - pad_x // 2, cv2.BORDER_REFLECT
    )


def make_clip(path: Path, frames: int, loops: int, source: Path = CLIP) -> None:
    with VideoReader(source) as reader:
        images = [fit_720p(image) for _, image in reader.frames(0, frames)]
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=30, options={"crf": "16", "preset": "veryfast", "g": "60"})
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for n in range(frames * loops):
            frame = av.VideoFrame.from_ndarray(images[n % frames], format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)


def transcode_fps(clip: Path, out: Path, guarded: bool = False) -> tuple[float, float]:
    """Decode + encode with the export's default encoder settings, decode and encode in two threads:
    (frames per second, process CPU ms per frame). ``guarded`` decodes in a helper process as the
    export does (its start and the frames' copies included; the helper's CPU is not in the CPU)."""
    import queue
    import threading

    started, cpu = time.perf_counter(), time.process_time()
    with GuardedVideoReader(clip) if guarded else VideoReader(clip) as reader:
        info = reader.info
        writer = VideoWriter(out, info.width, info.height, info.fps, reader.time_base, EncodeOptions())
        frames: queue.Queue[object] = queue.Queue(8)

        def decode() -> None:
            for item in reader.frames():
                frames.put(item)
            frames.put(None)

        thread = threading.Thread(target=decode)
        thread.start()
        while (item := frames.get()) is not None:
            index, image = item  # type: ignore[misc]
            writer.write(image, reader.pts_of(index), 0.0)
        thread.join()
        writer.close()
        cpu_ms = (time.process_time() - cpu) * 1000 / info.frame_count
        return info.frame_count / (time.perf_counter() - started), cpu_ms


def export(
    clip: Path, out: Path, workers: int, context: AppContext | None = None
) -> tuple[float, dict[str, object]]:
    """(fps including set-up, the report's summary); a fresh context unless one is given."""
    request = VideoExportRequest(
        sources=(SOURCE,), target=clip, output=out, overwrite=True, workers=workers, judge=None
    )
    job = VideoExportJob(context or create_context(), request)
    started = time.perf_counter()
    for _ in job.run():
        pass
    assert job.report is not None
    return job.report.frames_done / (time.perf_counter() - started), job.report.to_dict(per_frame=False)


def rss_child(clip: Path, out: Path, workers: int) -> None:
    fps, _ = export(clip, out, workers)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mib": peak_mib, "fps": fps}))


def peak_rss(clip: Path, out: Path, workers: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--rss-child", str(clip), str(out), "--workers", str(workers)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def jitter(clip: Path, analyser: object) -> tuple[list[float], list[np.ndarray]]:
    """Per-frame mean landmark motion (face sizes) of the largest face, and the faces per frame."""
    motions, faces = [], []
    previous = None
    with VideoReader(clip) as reader:
        for _, image in reader.frames():
            found = analyser.detect_faces(image)  # type: ignore[attr-defined]
            face = max(found, key=lambda f: f.width * f.height) if found else None
            faces.append((image, face))
            if face is not None and previous is not None:
                step = np.linalg.norm(face.landmarks_478[:, :2] - previous.landmarks_478[:, :2], axis=1)
                motions.append(float(step.mean() / face.size))
            previous = face
    return motions, faces


def _p50_p95(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20)
    return f"p50 {q[9]:.0f} ms, p95 {q[18]:.0f} ms"


def scrub_latency(context: object, clip: Path, frames: int, embedder_id: str, seeks: int = 30) -> None:
    """Random seeks, each followed by one swapped preview frame (identity checked by the embedder).

    Twice on fresh sessions with the same seeks: identity checked before the frame is returned (what
    ``preview`` does by default), then deferred (the frame is shown with the likeliest face swapped and
    ``confirm`` checks identity right after; "confirmed" is the time until that check is done).
    """
    for deferred in (False, True):
        session = VideoSession(context, clip, embedder=embedder_id)  # type: ignore[arg-type]
        session.set_source([read_image(SOURCE)])
        session.choose_reference()
        settings = SwapSettings()
        random.seed(0)
        shown, confirmed, seek_ms, cpu_ms, bases = [], [], [], [], []
        for _ in range(seeks):
            index = random.randrange(frames)
            started, cpu = time.perf_counter(), time.process_time()
            outcome = session.preview(index, settings, defer_identity=deferred)
            shown.append((time.perf_counter() - started) * 1000)
            seek_ms.append(outcome.timings_ms["seek"])
            bases.append(outcome.identity)
            if deferred:
                session.confirm(index, settings)
            confirmed.append((time.perf_counter() - started) * 1000)
            cpu_ms.append((time.process_time() - cpu) * 1000)
        session.close()
        counts = ", ".join(f"{basis} {bases.count(basis)}" for basis in sorted(set(bases)))
        mode = "deferred identity" if deferred else "identity first"
        print(
            f"scrub preview ({mode}), identity by {embedder_id}, {seeks} seeks over {frames} frames: "
            f"shown {_p50_p95(shown)}"
            + (f"; confirmed {_p50_p95(confirmed)}" if deferred else "")
            + f" (seek {_p50_p95(seek_ms)}; CPU {_p50_p95(cpu_ms)}; faces picked by: {counts})"
        )


def cli_export(
    clip: Path, out: Path, cache: Path, extra: tuple[str, ...] = ()
) -> tuple[float, float, dict[str, object]]:
    """``faceswap-desktop swap`` on ``clip`` as a fresh process, as a user runs it (default person,
    no score): (wall seconds from start to exit, CPU seconds of the process and the helpers it waited
    for, its JSON summary)."""
    command = [
        sys.executable,
        "-m",
        "faceswap_desktop",
        "swap",
        "--source",
        str(SOURCE),
        "--target",
        str(clip),
    ]
    command += ["--output", str(out), "--overwrite", "--no-score", "--json", *extra]
    environment = {**os.environ, "FACESWAP_CACHE_DIR": str(cache)}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=environment)
    wall = time.perf_counter() - started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - children.ru_utime - children.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return wall, cpu, json.loads(proc.stdout)


LACAMOIRE = SHARED / "media" / "images" / "identity" / "alex_lacamoire" / "alex_lacamoire1.jpg"


def compile_package() -> str:
    """Byte-compile the package the CLI runs from, as an installed package is (pip compiles it).

    With ``PYTHONDONTWRITEBYTECODE`` set (these development machines set it) a tree whose ``.pyc``
    files are missing or stale compiles those modules again in every process: ~0.13 s of CPU before the
    first frame for a fresh tree, which no user's installation pays. Returns what was done."""
    import compileall

    package = Path(__file__).resolve().parents[1] / "faceswap_desktop"
    if os.environ.get("BENCH_NO_COMPILE"):
        return "not compiled (BENCH_NO_COMPILE)"
    ok = compileall.compile_dir(str(package), quiet=1)
    return "compiled" if ok else "compiled with errors"


def whole_process(work: Path, frames: int) -> None:
    """Export fps of the whole CLI process (start-up, model loading, the cast scan, the export) against
    the transcode of the same 720p clip, for the one-face clip and the crowd clip. Each clip twice: with
    an empty cast cache (a first export of a file scans its cast) and again (the cast comes from the
    cache, as for every later export of that file); the crowd clip a third time with two people
    replaced (``--map``). The transcode runs before and after each clip's exports and the ratios use
    its mean (the machine's load drifts); CPU seconds per frame (the CLI process and its helpers,
    against the transcode's) are printed too, as they move less with the load."""
    compiled = compile_package()
    clips = {"one face": work / "one_face720.mp4", "crowd": work / "crowd720.mp4"}
    make_clip(clips["one face"], frames, 1)
    with VideoReader(CROWD) as reader:
        crowd_frames = reader.info.frame_count
    make_clip(clips["crowd"], crowd_frames, 1, CROWD)
    print(
        f"whole process, 1280x720; cores: {len(os.sched_getaffinity(0))}; load average "
        f"{os.getloadavg()[0]:.2f}; one face: {frames} frames of {CLIP.name}; crowd: {crowd_frames} "
        f"frames of {CROWD.name}; package bytecode: {compiled}"
    )
    for name, clip in clips.items():
        before, before_cpu = transcode_fps(clip, work / f"{clip.stem}_transcode.mp4")
        cache = work / f"{clip.stem}_cache"
        runs: list[tuple[str, tuple[str, ...]]] = [("empty cache", ()), ("cast cached", ())]
        if name == "crowd":
            runs.append(("cast cached, two people: --map PHOTO=2", ("--map", f"{LACAMOIRE}=2")))
        out = work / f"{clip.stem}_out.mp4"
        results = [(run, *cli_export(clip, out, cache, extra)) for run, extra in runs]
        after, after_cpu = transcode_fps(clip, work / f"{clip.stem}_transcode.mp4")
        transcode, transcode_cpu = (before + after) / 2, (before_cpu + after_cpu) / 2
        print(
            f"{name}: transcode {before:.1f} fps before the exports, {after:.1f} after (mean "
            f"{transcode:.1f}); CPU {transcode_cpu:.0f} ms a frame"
        )
        for run, wall, cpu, summary in results:
            done = int(summary["frames"])  # type: ignore[call-overload]
            loop = float(summary["elapsed_seconds"])  # type: ignore[arg-type]
            more = summary.get("more_people") or []
            swapped = "".join(f", person {m['person']}: {m['frames_swapped']}" for m in more)  # type: ignore[attr-defined]
            print(
                f"  {name} ({run}): CLI export {done / wall:.1f} fps whole process (ratio "
                f"{done / wall / transcode:.2f}), {done / loop:.1f} fps in the frame loop (ratio "
                f"{done / loop / transcode:.2f}); {wall - loop:.1f} s before and after the loop; CPU "
                f"{cpu * 1000 / done:.0f} ms a frame whole process (transcode/export CPU ratio "
                f"{transcode_cpu / (cpu * 1000 / done):.2f}); {summary['frames_swapped']}/{done} frames "
                f"swapped (person {summary.get('person')}{swapped}); CPU ms per frame in the loop: "
                f"{json.dumps(summary['cpu_ms_per_frame'])}"
            )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rss-child", nargs=2, type=Path)
    parser.add_argument(
        "--whole-process", action="store_true", help="run the CLI as a user (see whole_process)"
    )
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child[0], args.rss_child[1], args.workers)
        return
    work = Path(tempfile.mkdtemp(prefix="bench_video_"))
    try:  # the clips and exports are ~10 MB a run: never leave them in the temp folder
        if args.whole_process:
            whole_process(work, args.frames)
        else:
            in_process(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def in_process(work: Path, args: argparse.Namespace) -> None:
    """The export in this process against a transcode, then memory, scrubbing, jitter and similarity."""
    clip, looped = work / "clip720.mp4", work / "clip720_x10.mp4"
    make_clip(clip, args.frames, 1)
    make_clip(looped, args.frames, 10)
    print(
        f"cores: {len(os.sched_getaffinity(0))}; clip: 1280x720, {args.frames} frames; "
        f"workers {args.workers} (swapping at once: {swap_workers(args.workers)}); "
        f"load average {os.getloadavg()[0]:.2f} (other processes share the cores)"
    )

    transcode, transcode_cpu = transcode_fps(clip, work / "transcode.mp4")
    guarded, _guarded_cpu = transcode_fps(clip, work / "transcode_guarded.mp4", guarded=True)
    export_context = create_context()
    swap_fps, summary = export(clip, work / "swapped.mp4", args.workers, export_context)
    loop_fps = float(summary["fps_processing"])  # type: ignore[arg-type]
    print(
        f"transcode fps {transcode:.1f}; swap export fps {swap_fps:.1f} incl. set-up, {loop_fps:.1f} in loop"
    )
    print(f"ratio swap/transcode {swap_fps / transcode:.2f} incl. set-up, {loop_fps / transcode:.2f} in loop")
    # Not the headline: the GUI's exports usually find the models loaded and the engine used by the
    # previews, and an idle decoding helper in the pool (photo loads, earlier exports leave them).
    warm_fps, _warm = export(clip, work / "swapped_again.mp4", args.workers, export_context)
    print(
        f"the same export again in this process (warm: models loaded, engine used, a decoding helper "
        f"idle): {warm_fps:.1f} fps incl. set-up, ratio {warm_fps / transcode:.2f}"
    )
    print(
        f"transcode decoding in a helper process as the export does: {guarded:.1f} fps; ratio swap/that "
        f"{swap_fps / guarded:.2f} incl. set-up"
    )
    stages = summary.get("cpu_ms_per_frame", {})
    print(
        f"CPU ms per frame: transcode {transcode_cpu:.1f} (process); export loop "
        + ", ".join(f"{stage} {ms}" for stage, ms in stages.items())  # type: ignore[union-attr]
        + " (stages: the job's own threads; process: all threads, x264's and MediaPipe's included)"
    )
    print(f"export summary: {json.dumps(summary)}")

    small, large = (
        peak_rss(clip, work / "rss1.mp4", args.workers),
        peak_rss(looped, work / "rss10.mp4", args.workers),
    )
    growth = large["peak_rss_mib"] / small["peak_rss_mib"] - 1
    print(
        f"peak RSS: clip {small['peak_rss_mib']:.0f} MiB, clip x10 {large['peak_rss_mib']:.0f} MiB "
        f"(+{growth * 100:.1f}%); x10 export fps {large['fps']:.1f}"
    )

    context = create_context()
    embedders = ["dlib", "none"] + (["mobilefacenet"] if os.environ.get("FACESWAP_MOBILEFACENET") else [])
    for embedder_id in embedders:
        scrub_latency(context, clip, args.frames, embedder_id)
    # The same seeks spread over the 10x clip (30 s): frames are rarely near one seen before.
    scrub_latency(context, looped, args.frames * 10, "dlib")

    analyser = context.detector("mediapipe")
    motion_in, _ = jitter(clip, analyser)
    motion_out, faces_out = jitter(work / "swapped.mp4", analyser)
    mean_in, mean_out = statistics.fmean(motion_in), statistics.fmean(motion_out)
    print(
        f"landmark motion per frame (face sizes, re-detected): input {mean_in:.4f}, output {mean_out:.4f}, "
        f"ratio {mean_out / mean_in:.2f}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    judge = context.recognizer("dlib")
    source_image = read_image(SOURCE)
    identity = judge.embed(source_image, analyser.detect_faces(source_image)[0])
    sims = [cosine(judge.embed(image, face), identity) for image, face in faces_out if face is not None]
    print(
        f"per-frame similarity to the source (dlib cosine, every frame): mean {statistics.fmean(sims):.3f}, "
        f"std {statistics.pstdev(sims):.4f} over {len(sims)} frames"
    )


if __name__ == "__main__":
    main()
