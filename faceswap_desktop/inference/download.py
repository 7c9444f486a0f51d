"""Resumable HTTP(S) downloads with urllib: Range resume, stall timeouts, retries, streaming sha256.

TLS verification is always on (``ssl.create_default_context()``), redirects may not downgrade https to
http, and plain http is accepted only for loopback hosts (local mirrors and tests). The caller verifies
the digest this module returns; nothing here decides whether a file may be loaded.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import http.client
import logging
import os
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from faceswap_desktop.core.cancel import CancelToken as CancelToken  # re-exported: callers cancel with it

from .download_types import DownloadPolicy as DownloadPolicy
from .download_types import DownloadProgress as DownloadProgress
from .download_types import FatalUrlError as FatalUrlError
from .download_types import FetchResult as FetchResult
from .download_types import ProgressCallback as ProgressCallback
from .download_types import RetryableError as RetryableError

log = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_USER_AGENT = "faceswap-desktop-model-store/1"


_UNREACHABLE = {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
"""Connection errors that waiting does not cure (unlike a timeout or a reset): no network, no route,
nothing listening. Retrying them only kept the user at "connecting…" for the back-off's ~40 s."""


def unreachable_reason(url: str, error: BaseException) -> str:
    """Why ``url``'s server cannot be reached at all, in words (empty for errors worth retrying)."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    host = urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return f"cannot look up the server name {host} (no network connection, or DNS is not working)"
    if isinstance(reason, OSError) and reason.errno in _UNREACHABLE:
        words = reason.strerror or str(reason)
        return f"cannot connect to {host}: {words.lower()} (no network connection, or a firewall blocks it)"
    return ""


def check_url(url: str) -> None:
    """Accept https everywhere and http only on loopback; raise :class:`FatalUrlError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise FatalUrlError(f"refusing insecure URL {url}")


class _StallHTTPConnection(http.client.HTTPConnection):
    """Connects under the connect timeout, then waits at most ``stall_timeout`` for each read."""

    def __init__(self, *args: Any, stall_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stall_timeout = stall_timeout

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(self._stall_timeout)


class _StallHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, stall_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stall_timeout = stall_timeout

    def connect(self) -> None:
        super().connect()  # TCP connect and TLS handshake happen under the connect timeout
        self.sock.settimeout(self._stall_timeout)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, stall_timeout: float) -> None:
        super().__init__()
        self._stall_timeout = stall_timeout

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(_StallHTTPConnection, stall_timeout=self._stall_timeout)
        return self.do_open(factory, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, stall_timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._stall_timeout = stall_timeout
        self._tls_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(_StallHTTPSConnection, stall_timeout=self._stall_timeout)
        return self.do_open(factory, req, context=self._tls_context)


class _NoDowngradeRedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(req.full_url).scheme == "https" and urlsplit(newurl).scheme != "https":
            raise FatalUrlError(f"refusing redirect from https to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Where Linux distributions keep their CA bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine/Arch).
SYSTEM_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
)


def tls_context(bundles: tuple[str, ...] = SYSTEM_CA_BUNDLES) -> ssl.SSLContext:
    """A verifying TLS context that finds the system's CA certificates.

    OpenSSL looks where it was built to look. A packaged app carries the OpenSSL of the machine it was
    built on (Debian: /usr/lib/ssl), which on another distribution (Fedora: /etc/pki/tls) is missing, so
    every download would fail verification. When neither default location exists, the first CA bundle
    found among the distributions' usual places is loaded instead; ``SSL_CERT_FILE`` still wins."""
    context = ssl.create_default_context()
    defaults = ssl.get_default_verify_paths()
    if any(path and os.path.exists(path) for path in (defaults.cafile, defaults.capath)):
        return context
    for bundle in bundles:
        if os.path.isfile(bundle):
            context.load_verify_locations(cafile=bundle)
            break
    return context


def build_opener(policy: DownloadPolicy) -> urllib.request.OpenerDirector:
    """An opener with verified TLS, stall timeouts and no https->http redirects."""
    context = tls_context()
    return urllib.request.build_opener(
        _HTTPHandler(policy.stall_timeout),
        _HTTPSHandler(policy.stall_timeout, context),
        _NoDowngradeRedirectHandler(),
    )


def fetch_url(
    url: str,
    part: Path,
    *,
    label: str,
    expected_size: int | None,
    policy: DownloadPolicy,
    opener: urllib.request.OpenerDirector,
    cancel: CancelToken,
    progress: ProgressCallback | None = None,
) -> FetchResult:
    """Download ``url`` into ``part``, resuming what is there, retrying transient failures.

    Raises :class:`FatalUrlError` when this URL cannot work and :class:`RetryableError` when retries are
    exhausted; the ``.part`` file is kept for a later resume unless its content is known to be wrong.
    """
    check_url(url)
    delay = policy.backoff_initial
    for attempt in range(policy.retries + 1):
        cancel.raise_if_cancelled()
        try:
            return _fetch_once(url, part, label, expected_size, policy, opener, cancel, progress)
        except RetryableError as error:
            if attempt == policy.retries:
                raise
            state = f"{error}; retrying in {delay:.0f} s (attempt {attempt + 2} of {policy.retries + 1})"
            log.warning("%s: %s", label, state)
            if progress is not None:
                held = part.stat().st_size if part.exists() else 0
                progress(DownloadProgress(label, held, expected_size, url, note=state))
            cancel.sleep(delay)
            delay = min(delay * 2.0, policy.backoff_max)
    raise AssertionError("unreachable")  # pragma: no cover


def _hash_existing(part: Path, limit: int | None) -> tuple[int, Any]:
    hasher = hashlib.sha256()
    if not part.exists():
        return 0, hasher
    size = part.stat().st_size
    if limit is not None and size > limit:
        part.unlink()
        return 0, hasher
    with part.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            hasher.update(block)
    return size, hasher


def _fetch_once(
    url: str,
    part: Path,
    label: str,
    expected_size: int | None,
    policy: DownloadPolicy,
    opener: urllib.request.OpenerDirector,
    cancel: CancelToken,
    progress: ProgressCallback | None,
) -> FetchResult:
    offset, hasher = _hash_existing(part, expected_size)
    if expected_size is not None and offset == expected_size:
        return FetchResult(offset, hasher.hexdigest())
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = opener.open(request, timeout=policy.connect_timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:
            part.unlink()  # the server cannot resume from what we hold: start over
            raise RetryableError("server refused to resume; restarting from zero") from error
        if error.code in (408, 425, 429) or error.code >= 500:
            raise RetryableError(f"HTTP {error.code}") from error
        raise FatalUrlError(f"HTTP {error.code} from {url}") from error
    except (OSError, http.client.HTTPException) as error:
        unreachable = unreachable_reason(url, error)
        if unreachable:  # fail now: the next mirror may be reachable, this one will not be soon
            raise FatalUrlError(unreachable) from error
        raise RetryableError(f"cannot connect: {error}") from error
    with response:
        if response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != offset:
                part.unlink()
                raise RetryableError("server resumed at a different offset; restarting from zero")
            total = None if match.group(3) == "*" else int(match.group(3))
            mode = "ab"
        elif response.status == 200:
            if offset:
                log.info("%s: server ignored the Range request; restarting from zero", label)
            offset, hasher, mode = 0, hashlib.sha256(), "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        else:
            raise FatalUrlError(f"unexpected HTTP {response.status} from {url}")
        if expected_size is not None and total is not None and total != expected_size:
            raise FatalUrlError(f"{url} serves {total} bytes, expected {expected_size}")
        limit = expected_size if expected_size is not None else policy.max_unknown_size
        announced = total or expected_size

        def report(received: int) -> None:
            if progress is not None:
                progress(DownloadProgress(label, received, announced, url))

        received = _stream(response, part, mode, offset, limit, hasher, cancel, policy.chunk_size, report)
    if total is not None and received < total:
        raise RetryableError(f"connection closed after {received} of {total} bytes")
    return FetchResult(received, hasher.hexdigest())


def _stream(
    response: http.client.HTTPResponse,
    part: Path,
    mode: str,
    offset: int,
    limit: int,
    hasher: Any,
    cancel: CancelToken,
    chunk_size: int,
    report: Callable[[int], None],
) -> int:
    received = offset
    report(received)
    with part.open(mode) as out:
        while True:
            cancel.raise_if_cancelled()
            try:
                chunk = response.read1(chunk_size)  # what has arrived: a stall keeps earlier bytes
            except (OSError, http.client.HTTPException) as error:
                raise RetryableError(f"transfer interrupted after {received} bytes: {error}") from error
            if not chunk:
                return received
            received += len(chunk)
            if received > limit:
                out.close()
                part.unlink()
                raise FatalUrlError(f"the server sent more than the expected {limit} bytes")
            out.write(chunk)
            hasher.update(chunk)
            report(received)
