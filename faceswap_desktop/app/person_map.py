"""Several people replaced in one video export: each further cast member with their own source photos.

The export (``app/video.py``) follows its main person as before; :class:`MorePeople` follows each
further mapped person with a tracker of their own (found through the cast, like ``--person N``) and
swaps them into the same frames, after the main person. Each mapping is one source identity (one or
more photos of one person) to one cast member.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import BadInput
from ..core.media.video_io import VideoSource
from ..core.pipeline import FacePipeline, PreparedSource
from ..core.roles import Recognizer
from ..core.settings import SwapSettings
from ..core.types import Face, Image
from ..core.video.tracking import FaceTracker, TrackerOptions, TrackResult
from .cast import CancelToken, Cast, identity_hint, on_screen
from .context import AppContext
from .video_session import (
    FrameOutcome,
    ReferenceChoice,
    VideoSession,
    build_tracker,
    find_reference,
    swap_tracked_face,
)


@dataclass(frozen=True)
class PersonSources:
    """One source identity (its photos) mapped to cast member ``person``."""

    sources: tuple[Path, ...]
    person: int


def parse_person_map(text: str) -> PersonSources:
    """``PHOTO[,PHOTO...]=N`` (the CLI's ``--map``) as a :class:`PersonSources`."""
    photos, equals, number = text.rpartition("=")
    if not equals or not photos:
        raise BadInput(f"--map {text!r}: expected PHOTO[,PHOTO...]=N (N: a person of the cast)")
    try:
        person = int(number)
    except ValueError:
        raise BadInput(f"--map {text!r}: {number!r} is not a person number") from None
    if person < 1:
        raise BadInput(f"--map {text!r}: cast members are numbered from 1")
    return PersonSources(tuple(Path(p) for p in photos.split(",") if p), person)


def check_mappings(main_person: int | None, more: Sequence[PersonSources]) -> None:
    """Each person is mapped once, and each mapping has photos."""
    seen = {main_person} if main_person is not None else set()
    for mapping in more:
        if not mapping.sources:
            raise BadInput(f"no photo given for person {mapping.person}")
        if mapping.person in seen:
            raise BadInput(f"person {mapping.person} is mapped twice")
        seen.add(mapping.person)


@dataclass(frozen=True)
class SegmentPeople:
    """The further people as one segment of a batch render sees them (``app/batch_segments.py``): the
    whole clip's cast (sightings only), each person's identity found once for the whole range, and where
    each is first seen in this segment's frames (None: not in them), so that every segment follows the
    same people as a single export does."""

    cast: Cast
    references: tuple[ReferenceChoice | None, ...]
    identities: tuple[tuple[float, ...] | None, ...]


@dataclass
class _Person:
    mapping: PersonSources
    tracker: FaceTracker
    prepared: Future[PreparedSource]
    swapped: int = 0


class MorePeople:
    """The further people of one export: their trackers (on the export's thread) and swaps (in its
    swap workers, into the frame the main person was swapped into)."""

    def __init__(self, people: list[_Person]) -> None:
        self.people = people

    @classmethod
    def start(
        cls,
        context: AppContext,
        reader: VideoSource,
        detector: Any,
        embedder: Recognizer | None,
        mappings: Sequence[PersonSources],
        prepare: Any,
        span: tuple[int, int],
        cancel: CancelToken,
        options: TrackerOptions | None,
        cast: Cast | None = None,
        segment: SegmentPeople | None = None,
    ) -> MorePeople:
        """Find each mapped person (frames ``span[0]..span[1] - 1``) and build their tracker;
        ``prepare(mapping)`` returns the future of their prepared source. ``cast``: the clip's cast when
        known (else it is loaded from the cache or scanned). ``segment``: a batch segment's people, found
        by the driver (who is absent from the segment gets no tracker)."""
        start, stop = span
        people: list[_Person] = []
        try:
            for number, mapping in enumerate(mappings):
                if segment is not None:
                    choice = segment.references[number]
                    if choice is None:
                        continue  # not in this segment's frames: nobody to follow here
                    reference = find_reference(reader, detector, embedder, choice, start, True, stop, cancel)
                    identity = segment.identities[number]
                    if identity is not None:
                        embedding = np.asarray(identity, dtype=np.float32)
                        reference = replace(reference, embedding=embedding, identity_view=None)
                    reference = replace(
                        reference,
                        hint=identity_hint(segment.cast, mapping.person),
                        on_screen=on_screen(segment.cast, mapping.person),
                    )
                else:
                    choice = ReferenceChoice(person=mapping.person)
                    reference = find_reference(
                        reader, detector, embedder, choice, start, True, stop, cancel, cast=cast
                    )
                tracker = build_tracker(context, detector, embedder, reference, options)
                people.append(_Person(mapping, tracker, prepare(mapping)))
                if reference.frame_index == start:
                    tracker.seed(reference.face, start - 1)
        except BaseException:
            for person in people:
                person.tracker.close()
            raise
        return cls(people)

    def track(self, image: Image, index: int, seconds: float) -> tuple[TrackResult, ...]:
        """Each further person in frame ``index`` (the export's thread, in frame order)."""
        tracks = tuple(person.tracker.update(image, index, seconds) for person in self.people)
        for person, track in zip(self.people, tracks, strict=True):
            person.swapped += track.face is not None
        return tracks

    def swap(
        self,
        pipeline: FacePipeline,
        settings: SwapSettings,
        outcome: FrameOutcome,
        tracks: tuple[TrackResult, ...],
        may_draw: bool,
        score: bool = False,
    ) -> FrameOutcome:
        """Swap each further person found into ``outcome.image`` (drawn into it when ``may_draw``:
        the frame is the export's own, else into a copy); ``score`` measures each one's similarity to
        their own source (when the pipeline has a judge)."""
        image, swapped_people = outcome.image, []
        for person, track in zip(self.people, tracks, strict=True):
            if track.face is None:
                continue
            swapped = swap_tracked_face(
                pipeline, person.prepared.result(), settings, outcome.index, image, track, score, may_draw
            )
            image, may_draw = swapped.image, True  # a copy, if it was one, is ours from now on
            swapped_people.append(person.mapping.person)
            similarity = swapped.swapped.similarity if swapped.swapped is not None else None
            if similarity is not None:
                outcome.more_similarity[person.mapping.person] = similarity
        outcome.image, outcome.more_swapped = image, tuple(swapped_people)
        return outcome

    def summary(self) -> list[dict[str, Any]]:
        """Per further person: their number, photos and the frames they were swapped in (the report
        adds their similarity, :meth:`~.video_report.ExportReport.to_dict`)."""
        return [
            {
                "person": p.mapping.person,
                "sources": [str(s) for s in p.mapping.sources],
                "frames_swapped": p.swapped,
            }
            for p in self.people
        ]

    def close(self) -> None:
        for person in self.people:
            person.tracker.close()


def cast_face(cast: Cast, person: int, index: int, faces: Sequence[Face], taken: Face | None) -> Face | None:
    """The face of cast member ``person`` among ``faces`` of frame ``index`` by the cast's sightings
    alone (no embedding: :func:`~.cast.identity_hint`), never ``taken`` (the main person's face)."""
    hint = identity_hint(cast, person)
    return next((f for f in faces if f is not taken and hint(index, f) is True), None)


class _Stale:
    def __init__(self, is_stale: Callable[[], bool]) -> None:
        self.is_set = is_stale


class MappedPreview:
    """The further people of a video preview (the GUI's source identities mapped to cast members):
    their prepared sources, swapped into a :class:`VideoSession`'s frames after its main person.

    A quick preview finds them by the cast's sightings (:func:`cast_face`: no tracker, no embedding),
    a settled one runs the export's own trackers (:class:`MorePeople`) from the export's first frame,
    so the frame on screen is the frame the export writes."""

    def __init__(self, mappings: Sequence[PersonSources], prepared: Sequence[PreparedSource]) -> None:
        if len(mappings) != len(prepared):
            raise ValueError("one prepared source per mapping")
        self.mappings, self.prepared = tuple(mappings), tuple(prepared)

    def swap_quick(
        self, session: VideoSession, outcome: FrameOutcome, settings: SwapSettings
    ) -> FrameOutcome:
        """``outcome`` (a :meth:`VideoSession.preview`) with each mapped person the cast places in the
        frame swapped too."""
        cast = session.cast
        if cast is None or not self.mappings:
            return outcome
        image, owned, swapped = outcome.image, outcome.swapped is not None, []
        faces = outcome.faces
        for mapping, prepared in zip(self.mappings, self.prepared, strict=True):
            face = cast_face(cast, mapping.person, outcome.index, faces, outcome.track.face)
            if face is None:
                continue
            track = TrackResult(face, face, len(faces), True, False, None, 0)
            result = swap_tracked_face(
                session.pipeline, prepared, settings, outcome.index, image, track, False, owned
            )
            image, owned = result.image, True  # a copy, if it was one, is ours from now on
            swapped.append(mapping.person)
        outcome.image, outcome.more_swapped = image, tuple(swapped)
        return outcome

    def swap_as_export(
        self,
        session: VideoSession,
        index: int,
        settings: SwapSettings,
        start: int,
        is_stale: Callable[[], bool] = lambda: False,
    ) -> FrameOutcome | None:
        """Frame ``index`` as an export from ``start`` renders it, every mapped person included (None
        when it went stale)."""
        if not self.mappings:
            return session.preview_as_export(index, settings, start, is_stale=is_stale)
        done: dict[PersonSources, Future[PreparedSource]] = {}
        for mapping, prepared in zip(self.mappings, self.prepared, strict=True):
            done[mapping] = Future()
            done[mapping].set_result(prepared)
        more = MorePeople.start(
            session.context,
            session.reader,
            session.detector,
            session.embedder,
            self.mappings,
            done.__getitem__,
            (start, index + 1),
            _Stale(is_stale),
            None,
            cast=session.cast,
        )
        last: list[tuple[TrackResult, ...]] = [()]
        try:

            def track(image: Image, number: int) -> None:
                last[0] = more.track(image, number, session.reader.time_of(number))

            outcome = session.preview_as_export(index, settings, start, is_stale=is_stale, each_frame=track)
            if outcome is None or len(last[0]) != len(self.mappings):
                return None
            # The frame came from the reader, not the preview cache: it may be drawn into.
            return more.swap(session.pipeline, settings, outcome, last[0], True)
        finally:
            more.close()
