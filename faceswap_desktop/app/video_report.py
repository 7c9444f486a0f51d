"""The per-frame report of a video export (what the CLI writes with ``--report``)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..core.errors import PartialVideo
from ..core.media.video_io import VideoInfo
from ..core.media.video_writer import VideoWriter
from ..core.mesh.quality import pose_warning
from .video_session import FrameOutcome


def check_partial(info: VideoInfo, allowed: bool) -> None:
    """Refuse a video that yields fewer frames than its container declares unless a partial export
    was asked for: a damaged index would otherwise export a fraction of the clip with no word."""
    if info.partial and not allowed:
        raise PartialVideo(
            f"{info.partial_message()}; nothing was exported. Allow a partial export to write the frames "
            "that can be read (CLI: --allow-partial)"
        )


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame of the report (kept small: a long video holds many)."""

    index: int
    time: float
    face_found: bool
    scene_cut: bool
    detected: bool
    similarity_percent: float | None
    similarity_cosine: float | None
    more: tuple[tuple[int, float | None], ...] = ()
    """Further mapped people swapped in this frame: (person, similarity percent or None)."""
    warning: str = ""
    """Why the swapped face is not clean in this frame (the mesh engine's head-pose check), or empty."""


@dataclass
class ExportReport:
    """Per-frame records and totals of one export."""

    output: Path
    start: int
    stop: int
    fps: Fraction
    tracking_embedder: str | None
    records: list[FrameRecord] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    frames_written: int = 0
    audio: str = "none"
    judge: str | None = None
    content_credentials: str = "off"
    """C2PA manifest status: "signed", "off", or why it was skipped."""
    watermark: bool = False
    cpu_ms: dict[str, float] = field(default_factory=dict)
    """CPU milliseconds of the frame loop: per stage (decode, track, swap, encode) and the process."""
    input_frames: int = 0
    """Frames the input video yields."""
    input_frames_declared: int = 0
    """Frames its container declares: more than :attr:`input_frames` when the file is damaged."""
    more_people: list[dict[str, Any]] = field(default_factory=list)
    """Further people replaced (``--map``): person number, photos, frames swapped."""
    check_pose: bool = False
    """Check each swapped face's head pose (the offline mesh engine smears turned and tilted heads)."""

    @property
    def partial_input(self) -> bool:
        """The input yielded fewer frames than declared (the export was allowed to go on)."""
        return self.input_frames_declared > self.input_frames

    @property
    def frames_total(self) -> int:
        return self.stop - self.start

    @property
    def frames_done(self) -> int:
        return len(self.records)

    def add(self, outcome: FrameOutcome, seconds: float) -> None:
        """Record one processed frame."""
        similarity = outcome.swapped.similarity if outcome.swapped is not None else None
        if similarity is not None:
            self.judge = similarity.model
        self.records.append(
            FrameRecord(
                index=outcome.index,
                time=round(seconds, 4),
                face_found=outcome.track.face is not None,
                scene_cut=outcome.track.scene_cut,
                detected=outcome.track.detected,
                similarity_percent=round(similarity.percent, 1) if similarity else None,
                similarity_cosine=round(similarity.cosine, 4) if similarity else None,
                more=tuple(
                    (person, round(s.percent, 1) if (s := outcome.more_similarity.get(person)) else None)
                    for person in outcome.more_swapped
                ),
                warning=pose_warning(outcome.swapped.face)
                if self.check_pose and outcome.swapped is not None
                else "",
            )
        )

    def finish(
        self, elapsed_seconds: float, writer: VideoWriter, cpu_ms: dict[str, float] | None = None
    ) -> None:
        """Totals known only at the end."""
        self.elapsed_seconds = elapsed_seconds
        self.cpu_ms = dict(cpu_ms or {})
        self.frames_written = writer.frames_written
        if writer.audio is not None:
            self.audio = "copied" if writer.audio.copy else "re-encoded"

    @property
    def frames_swapped(self) -> int:
        return sum(record.face_found for record in self.records)

    def to_dict(self, per_frame: bool = True) -> dict[str, Any]:
        """JSON-ready report: totals, and per frame index, time, face found and similarity."""
        percents = [r.similarity_percent for r in self.records if r.similarity_percent is not None]
        totals: dict[str, Any] = {
            "output": str(self.output),
            "frames": self.frames_done,
            "frames_written": self.frames_written,
            "frames_swapped": self.frames_swapped,
            "frames_without_match": self.frames_done - self.frames_swapped,
            "scene_cuts": sum(r.scene_cut for r in self.records),
            "first_frame": self.start,
            "fps_input": round(float(self.fps), 3),
            "fps_processing": round(self.frames_done / self.elapsed_seconds, 2)
            if self.elapsed_seconds
            else None,
            "elapsed_seconds": round(self.elapsed_seconds, 2),
            "audio": self.audio,
            "content_credentials": self.content_credentials,
            "watermark": self.watermark,
            "input_frames_read": self.input_frames,
            "input_frames_declared": self.input_frames_declared,
            "partial_input": self.partial_input,
            "tracking_embedder": self.tracking_embedder,
            "judge": self.judge,
            "similarity_frames_measured": len(percents),
            "similarity_percent_mean": round(statistics.fmean(percents), 1) if percents else None,
            "similarity_percent_std": round(statistics.pstdev(percents), 2) if len(percents) > 1 else None,
            "cpu_ms_per_frame": {
                stage: round(ms / max(self.frames_done, 1), 1) for stage, ms in self.cpu_ms.items()
            },
        }
        warned = [r for r in self.records if r.warning]
        totals["frames_not_clean"] = len(warned)
        if warned:
            totals["not_clean"] = not_clean_summary(warned, self.frames_swapped)
        if self.more_people:
            totals["more_people"] = [self._person_totals(entry) for entry in self.more_people]
        if per_frame:
            totals["per_frame"] = [
                {
                    "index": r.index,
                    "time": r.time,
                    "face_found": r.face_found,
                    **({"scene_cut": True} if r.scene_cut else {}),
                    **({"warning": r.warning} if r.warning else {}),
                    **(
                        {"similarity": {"percent": r.similarity_percent, "cosine": r.similarity_cosine}}
                        if r.similarity_percent is not None
                        else {}
                    ),
                    **(
                        {"more_people": [_more_entry(person, percent) for person, percent in r.more]}
                        if r.more
                        else {}
                    ),
                }
                for r in self.records
            ]
        return totals

    def person_percents(self, person: int) -> list[float]:
        """Similarity percents measured for further person ``person`` over the export."""
        return [p for r in self.records for n, p in r.more if n == person and p is not None]

    def _person_totals(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A further person's summary with their similarity over the frames measured."""
        percents = self.person_percents(int(entry["person"]))
        return {
            **entry,
            "similarity_frames_measured": len(percents),
            "similarity_percent_mean": round(statistics.fmean(percents), 1) if percents else None,
            "similarity_percent_std": round(statistics.pstdev(percents), 2) if len(percents) > 1 else None,
        }


def not_clean_summary(warned: list[FrameRecord], swapped: int) -> str:
    """One line for the frames whose face is not clean: how many, the reasons (numbers left out: they
    vary frame to frame) and the first such frame."""
    reasons: list[str] = []
    for record in warned:
        for part in record.warning.split("; "):
            reason = part.split(" (")[0]
            if reason not in reasons:
                reasons.append(reason)
    return (
        f"{len(warned)} of {swapped} swapped frames not clean ({'; '.join(reasons)}), "
        f"first at frame {warned[0].index}"
    )


def _more_entry(person: int, percent: float | None) -> dict[str, Any]:
    return {"person": person, **({"similarity_percent": percent} if percent is not None else {})}
