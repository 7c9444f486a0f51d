"""Tracks' cues for clustering tests, from parallel lists (one item per track)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceswap_desktop.core.video.clustering import TrackCues


def cues(
    embeddings: Sequence[Sequence[np.ndarray]],
    frames: Sequence[set[int]],
    clothing: Sequence[np.ndarray | None] | None = None,
    dim: Sequence[bool] | None = None,
    small: Sequence[bool] | None = None,
) -> list[TrackCues]:
    """One :class:`TrackCues` per track (no clothing, lit and large unless given)."""
    assert len(frames) == len(embeddings)
    return [
        TrackCues.of(
            embeddings[i],
            frames[i],
            clothing[i] if clothing is not None else None,
            dim[i] if dim is not None else False,
            small[i] if small is not None else False,
        )
        for i in range(len(embeddings))
    ]
