"""The people of a clip from its face tracks: what clustering knows of each track, and the clustering.

:func:`cluster_tracks` groups tracks into people: average-linkage agglomerative clustering of the
tracks' identity embeddings (cosine), where two tracks seen in the same frame never join (one person is
in one place at a time) and a track without an embedding stays on its own. Second cues may join
clusters whose faces alone cannot say: their clothing (:mod:`.appearance`) and track continuity within a
shot (:mod:`.continuity`).

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

    @classmethod
    def of(
        cls,
        embeddings: Iterable[FloatArray],
        frames: Iterable[int],
        clothing: FloatArray | None = None,
        dim: bool = False,
        small: bool = False,
    ) -> TrackCues:
        """The cues from any iterables (copied into immutable containers)."""
        return cls(tuple(embeddings), frozenset(frames), clothing, dim, small)


@dataclass(frozen=True)
class ClothingRule:
    """When nearly similar faces may join on their clothing (:mod:`.appearance`): a mean face cosine of
    at least ``min_face`` and a mean clothing overlap (Bhattacharyya) above ``min_clothing``."""

    min_face: float
    min_clothing: float


def cluster_tracks(
    tracks: Sequence[TrackCues],
    threshold: float,
    rule: ClothingRule | None = None,
    continued: Sequence[tuple[int, int]] = (),
    continuity_floor: float | None = None,
) -> list[int]:
    """A person label (0..) for each track.

    Clusters merge, most similar face first, while the mean cosine between their embeddings is at least
    ``threshold`` and no two of their tracks share a frame. With a clothing ``rule``, two clusters whose
    faces reach only ``rule.min_face`` merge too when their tracks' clothing overlaps by more than
    ``rule.min_clothing`` on average (average linkage as for the faces; a track without a descriptor
    counts as no overlap). ``continued``: pairs of indices of tracks where one is the other's face found
    again in the same shot (:func:`~.continuity.continuations`); once faces and clothing have joined all
    they can, two clusters holding such a pair merge too when their faces reach ``continuity_floor``
    (their embeddings do not contradict it) and they still share no frame.

    A :attr:`~TrackCues.dim` track and a lit one never join on faces or clothing (a stretched view's
    embedding measures its darkness and noise, not a face comparable to a lit one's), only by
    continuity; two dim tracks compare as usual. A :attr:`~TrackCues.small` track (seen only in a small
    clip scanned enlarged) never joins on faces alone, only when faces and clothing agree (the clothing
    rule) or by continuity, and nor does a cluster that holds it.
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
    linked = np.zeros((count, count), dtype=bool)
    if continuity_floor is not None:
        for i, j in continued:
            linked[i, j] = linked[j, i] = i != j
    clusters: dict[int, list[int]] = {i: [i] for i in range(count)}
    # Continuity joins only once identity (faces, clothing) has joined all it can: by then a person's
    # other tracks are in their cluster, so a face that appears where they were while they are still on
    # screen elsewhere (someone walking in behind them) clashes with them and cannot join.
    continuity_now = False
    while len(clusters) > 1:
        best_linkage, best_pair = -2.0, None
        keys = sorted(clusters)
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
                joins = (same_kind and faces_tell[i, j] and linkage >= threshold) or near or found_again
                if linkage >= best_linkage and joins:
                    best_linkage, best_pair = linkage, (i, j)
        if best_pair is None:
            if continuity_now or continuity_floor is None:
                break
            continuity_now = True
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
