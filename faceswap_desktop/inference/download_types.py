"""What the model store and its callers say about downloads (progress, policy, results, errors),
apart from :mod:`.download`, which does them: that module imports the HTTP client and TLS (~10-15 ms),
which a command that only reads installed models (a swap, an export) never needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes received so far of ``total`` (``None`` when the server does not say)."""

    model_id: str
    received: int
    total: int | None
    url: str
    note: str = ""
    """Set while the download waits to retry: what went wrong and when the next attempt is."""


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class DownloadPolicy:
    """Timeouts in seconds, retry count per URL, back-off bounds and the read size."""

    connect_timeout: float = 15.0
    stall_timeout: float = 30.0
    retries: int = 4
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    chunk_size: int = 256 * 1024
    max_unknown_size: int = 4 * 1024**3


@dataclass(frozen=True)
class FetchResult:
    """The finished ``.part`` file's size and streaming sha256."""

    size: int
    sha256: str


class RetryableError(Exception):
    """A transient failure (timeout, reset, 5xx): the same URL may be tried again."""


class FatalUrlError(Exception):
    """This URL cannot give the file (404, wrong size, refused scheme): try the next mirror."""
