"""The people of a clip from its face tracks: what clustering knows of each track, and the clustering.

:func:`cluster_tracks` groups tracks into people: average-linkage agglomerative clustering of the
tracks' identity embeddings (cosine), where two tracks seen in the same frame never join (one person is
in one place at a time) and a track without an embedding stays on its own. Second cues may join
clusters whose faces alone cannot say: their clothing (:mod:`.appearance`) and track continuity within a
shot (:mod:`.continuity`), and, last, faces more alike than either is to the people seen beside it
(:class:`BesideRule`).

Average linkage rather than single linkage: one poor embedding (a profile, motion blur) must not chain
two people together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..types import FloatArray
from .appearance import bhattacharyya


@dataclass(frozen=True, eq=False)
class TrackCues:
    """What clustering knows of one track (equal only to itself: it holds arrays)."""

    embeddings: tuple[FloatArray, ...]
    """The identity embeddings of its best views (may be empty)."""
    frames: frozenset[int]
    """The sampled frames it was seen in."""
    clothing: FloatArray | None = None
    """Its mean :func:`~.appearance.clothing_histogram` (None: no room under its faces)."""
    dim: bool = False
    """Embedded only from nearly black views (``cast.with_contrast`` stretched them)."""
    small: bool = False
    """Its embedded faces were all smaller than the detector finds at the clip's own size."""
    frontality: float = 1.0
    """The :func:`~.cast.frontality` of its most frontal embedded view (1 frontal, 0 profile)."""
    around_faces: bool = False
    """Every box of it holds a much smaller face of another track (:func:`~.cast.around_smaller_faces`):
    the detector reading a face at the wrong scale."""

    @classmethod
    def of(
        cls,
        embeddings: Iterable[FloatArray],
        frames: Iterable[int],
        clothing: FloatArray | None = None,
        dim: bool = False,
        small: bool = False,
        frontality: float = 1.0,
        around_faces: bool = False,
    ) -> TrackCues:
        """The cues from any iterables (copied into immutable containers)."""
        return cls(tuple(embeddings), frozenset(frames), clothing, dim, small, frontality, around_faces)


@dataclass(frozen=True)
class ClothingRule:
    """When nearly similar faces may join on their clothing (:mod:`.appearance`): a mean face cosine of
    at least ``min_face`` and a mean clothing overlap (Bhattacharyya) above ``min_clothing``."""

    min_face: float
    min_clothing: float


@dataclass(frozen=True)
class BesideRule:
    """When two clusters whose faces are only nearly similar may join because they are more alike than
    either is to anyone seen beside it.

    Two tracks seen in the same frame are two people, whatever their faces say: the mean face cosine
    between a cluster and the clusters seen beside it is how alike different people's faces look to the
    embedder *for this face in this clip* (its size, blur, light and encoding), measured rather than
    assumed; a score normalisation from a cohort of known impostors, as the clip's clothing bar
    (:func:`~.appearance.clothing_bar`) is for clothing. Two clusters join when their mean face cosine
    reaches ``min_face`` (the embedder's equal-error cosine on photos) and exceeds the highest cosine
    either has with a cluster seen beside it, when each was seen beside at least ``min_seen_beside``
    others (one or two people are no bar) and each has an embedded view at least ``min_frontality``
    frontal (:func:`~.cast.frontality`; 0.5: the nose a quarter of the eye distance off centre): the
    embedder reads frontal faces, and a profile or the back of a head scores alike against everyone."""

    min_face: float
    min_seen_beside: int = 3
    min_frontality: float = 0.5


def cluster_tracks(
    tracks: Sequence[TrackCues],
    threshold: float,
    rule: ClothingRule | None = None,
    continued: Sequence[tuple[int, int]] = (),
    continuity_floor: float | None = None,
    beside: BesideRule | None = None,
) -> list[int]:
    """A person label (0..) for each track.

    Clusters merge, most similar face first, while the mean cosine between their embeddings is at least
    ``threshold`` and no two of their tracks share a frame. With a clothing ``rule``, two clusters whose
    faces reach only ``rule.min_face`` merge too when their tracks' clothing overlaps by more than
    ``rule.min_clothing`` on average (average linkage as for the faces; a track without a descriptor
    counts as no overlap). ``continued``: pairs of indices of tracks where one is the other's face found
    again in the same shot (:func:`~.continuity.continuations`); once faces and clothing have joined all
    they can, two clusters holding such a pair merge too when their faces reach ``continuity_floor``
    (their embeddings do not contradict it) and they still share no frame. Last, with a ``beside``
    rule (:class:`BesideRule`), two clusters whose faces reach ``beside.min_face`` merge when they are
    more alike than either is to anyone seen beside it.

    A :attr:`~TrackCues.dim` track and a lit one never join on faces or clothing (a stretched view's
    embedding measures its darkness and noise, not a face comparable to a lit one's), only by
    continuity; two dim tracks compare as usual. A :attr:`~TrackCues.small` track (seen only in a small
    clip scanned enlarged) never joins on faces alone, only when faces and clothing agree (the clothing
    rule) or by continuity, and nor does a cluster that holds it; nor on the people seen beside.
    """
    count = len(tracks)
    if any(not (0 <= i < count and 0 <= j < count) for i, j in continued):
        raise ValueError("a continued pair names a track that is not there")
    normalised = [
        np.stack([e / max(float(np.linalg.norm(e)), 1e-12) for e in track.embeddings])
        if track.embeddings
        else None
        for track in tracks
    ]
    # Pairwise sums of cosines and counts between tracks: a cluster's average linkage is their ratio.
    sums = np.zeros((count, count))
    pairs = np.zeros((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            a, b = normalised[i], normalised[j]
            if a is None or b is None:
                continue
            sums[i, j] = sums[j, i] = float((a @ b.T).sum())
            pairs[i, j] = pairs[j, i] = a.shape[0] * b.shape[0]
    cloth_sums = np.zeros((count, count))
    if rule is not None:
        for i in range(count):
            for j in range(i + 1, count):
                ci, cj = tracks[i].clothing, tracks[j].clothing
                if ci is not None and cj is not None:
                    cloth_sums[i, j] = cloth_sums[j, i] = bhattacharyya(ci, cj) * pairs[i, j]
    clash = np.array(
        [[i != j and bool(tracks[i].frames & tracks[j].frames) for j in range(count)] for i in range(count)]
    )
    # Whether two clusters' faces may be compared at all: both lit or both dim.
    comparable = np.array([[tracks[i].dim == tracks[j].dim for j in range(count)] for i in range(count)])
    # Whether faces alone may join two clusters: neither holds a track of faces too small to tell.
    faces_tell = np.array(
        [[not (tracks[i].small or tracks[j].small) for j in range(count)] for i in range(count)]
    )
    # A cluster's most frontal embedded view.
    front = np.array([track.frontality if track.embeddings else 0.0 for track in tracks])
    linked = np.zeros((count, count), dtype=bool)
    if continuity_floor is not None:
        for i, j in continued:
            linked[i, j] = linked[j, i] = i != j
    clusters: dict[int, list[int]] = {i: [i] for i in range(count)}
    # The strongest evidence joins first, each later stage adding a way to join. Continuity joins only
    # once identity (faces, clothing) has joined all it can: by then a person's other tracks are in
    # their cluster, so a face that appears where they were while they are still on screen elsewhere
    # (someone walking in behind them) clashes with them and cannot join. The people seen beside come
    # last: the weakest cue, and each cluster's bar is known best once its tracks are together.
    stages = ["identity"]
    stages += ["continuity"] if continuity_floor is not None else []
    stages += ["beside"] if beside is not None else []
    stage_at = 0
    while len(clusters) > 1:
        continuity_now = "continuity" in stages[: stage_at + 1]
        beside_now = stages[stage_at] == "beside"
        best_linkage, best_pair = -2.0, None
        keys = sorted(clusters)
        bars = _beside_bars(keys, sums, pairs, clash) if beside_now else {}
        for x, i in enumerate(keys):
            for j in keys[x + 1 :]:
                if pairs[i, j] == 0 or clash[i, j]:
                    continue
                linkage = sums[i, j] / pairs[i, j]
                same_kind = bool(comparable[i, j])
                near = same_kind and rule is not None and linkage >= rule.min_face
                if near and rule is not None and cloth_sums[i, j] / pairs[i, j] <= rule.min_clothing:
                    near = False
                found_again = (
                    continuity_now
                    and continuity_floor is not None
                    and linked[i, j]
                    and linkage >= continuity_floor
                )
                faces_may = same_kind and bool(faces_tell[i, j])
                beside_join = (
                    beside is not None
                    and beside_now
                    and faces_may
                    and linkage >= beside.min_face
                    and linkage > max(bars[i][0], bars[j][0])
                    and min(bars[i][1], bars[j][1]) >= beside.min_seen_beside
                    and min(front[i], front[j]) >= beside.min_frontality
                )
                joins = (faces_may and linkage >= threshold) or near or found_again or beside_join
                if linkage >= best_linkage and joins:
                    best_linkage, best_pair = linkage, (i, j)
        if best_pair is None:
            if stage_at + 1 >= len(stages):
                break
            stage_at += 1
            continue
        i, j = best_pair
        clusters[i] += clusters.pop(j)
        # Cluster i now stands for both: its sums, counts and clashes are theirs added up.
        sums[i, :] += sums[j, :]
        sums[:, i] = sums[i, :]
        cloth_sums[i, :] += cloth_sums[j, :]
        cloth_sums[:, i] = cloth_sums[i, :]
        cloth_sums[i, i] = 0
        pairs[i, :] += pairs[j, :]
        pairs[:, i] = pairs[i, :]
        clash[i, :] |= clash[j, :]
        clash[:, i] = clash[i, :]
        comparable[i, :] &= comparable[j, :]
        comparable[:, i] = comparable[i, :]
        faces_tell[i, :] &= faces_tell[j, :]
        faces_tell[:, i] = faces_tell[i, :]
        front[i] = max(front[i], front[j])
        linked[i, :] |= linked[j, :]
        linked[:, i] = linked[i, :]
        linked[i, i] = False
        sums[i, i] = pairs[i, i] = 0
        clash[i, i] = False
    labels = [0] * count
    for label, members in enumerate(sorted(clusters.values(), key=min)):
        for member in members:
            labels[member] = label
    return labels


def _beside_bars(
    keys: list[int], sums: np.ndarray, pairs: np.ndarray, clash: np.ndarray
) -> dict[int, tuple[float, int]]:
    """For each cluster: the highest mean face cosine between it and a cluster seen in a frame with it
    (two people, whatever their faces say; -1 when none), and how many such clusters there are."""
    index = np.array(keys)
    counts = pairs[np.ix_(index, index)]
    known = clash[np.ix_(index, index)] & (counts > 0)
    linkage = sums[np.ix_(index, index)] / np.maximum(counts, 1)
    highest = np.where(known, linkage, -1.0).max(axis=1)
    seen = known.sum(axis=1)
    return {key: (float(highest[n]), int(seen[n])) for n, key in enumerate(keys)}


def glimpses(tracks: Sequence[TrackCues], labels: Sequence[int]) -> set[int]:
    """The labels of people the scan only glimpsed: seen in one sampled frame, where the scan cannot
    stand behind the face (every track :attr:`~TrackCues.dim`, :attr:`~TrackCues.small` or
    :attr:`~TrackCues.around_faces`).

    Such a person is kept apart from the cast's people ("others"): one sample gives no second look that
    it is a face at all (in a dark background the encoder's noise makes and unmakes such detections:
    ``short_hamilton_clip.mp4`` re-encoded finds a nearly black audience face in one sample that the
    original never finds), the embedder cannot say whether a nearly black or tiny face is someone already
    in the cast (it never joins a lit one on its face), its thumbnail shows nothing to recognise, and a
    box around a much smaller face is that face at the wrong scale. A person seen in two samples, or
    once with a face the scan can stand behind (a man seen once from the side), is a person.
    """
    if len(tracks) != len(labels):
        raise ValueError("one label per track")
    frames: dict[int, set[int]] = {}
    unreadable: dict[int, bool] = {}
    for track, label in zip(tracks, labels, strict=True):
        frames.setdefault(label, set()).update(track.frames)
        unreadable[label] = unreadable.get(label, True) and (track.dim or track.small or track.around_faces)
    return {label for label, seen in frames.items() if len(seen) <= 1 and unreadable[label]}
