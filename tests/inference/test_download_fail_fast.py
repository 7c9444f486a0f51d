"""Downloads give up at once, with the reason, where waiting cannot help (no name lookup, nothing
listening), and report the retry state where it can (a dropped transfer). Only 127.0.0.1 is contacted."""

from __future__ import annotations

import errno
import socket
import urllib.error
from pathlib import Path

import pytest

from faceswap_desktop.inference.download import DownloadPolicy, DownloadProgress, unreachable_reason
from faceswap_desktop.inference.store import ModelDownloadError

from .test_store import CONTENT, _spec, _store
from .zoo_fakes import LocalServer, Script

# Retries with a back-off of 1, 2 and 4 s: a retried refused connection would take 7 s and say so.
PATIENT = DownloadPolicy(
    connect_timeout=2.0, stall_timeout=0.3, retries=3, backoff_initial=1.0, chunk_size=4096
)


def test_a_failed_name_lookup_is_named_and_not_retried() -> None:
    error = urllib.error.URLError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    reason = unreachable_reason("https://github.com/x/model.onnx", error)
    assert "cannot look up the server name github.com" in reason and "no network" in reason


@pytest.mark.parametrize("code", [errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH])
def test_unreachable_hosts_are_not_retried(code: int) -> None:
    error = urllib.error.URLError(OSError(code, "some words"))
    assert "cannot connect to example.org" in unreachable_reason("https://example.org/m.onnx", error)


def test_timeouts_and_resets_are_left_to_the_retries() -> None:
    assert unreachable_reason("https://example.org/m", urllib.error.URLError(TimeoutError("timed out"))) == ""
    reset = urllib.error.URLError(ConnectionResetError(errno.ECONNRESET, "reset"))
    assert unreachable_reason("https://example.org/m", reset) == ""


def test_a_refused_connection_fails_at_once_with_its_reason(tmp_path: Path) -> None:
    store = _store(tmp_path, _spec(CONTENT, ["http://127.0.0.1:9/model.onnx"]), PATIENT)  # discard port
    seen: list[DownloadProgress] = []
    with pytest.raises(ModelDownloadError) as raised:
        store.download("toy", progress=seen.append)
    assert "cannot connect to 127.0.0.1" in str(raised.value)
    assert not [report for report in seen if report.note], "a refused connection was retried"


def test_a_dropped_transfer_reports_its_retry_then_completes(tmp_path: Path) -> None:
    policy = DownloadPolicy(connect_timeout=2.0, stall_timeout=0.3, retries=2, backoff_initial=0.01)
    with LocalServer(Script(CONTENT, faults=["drop:30000"])) as server:
        store = _store(tmp_path, _spec(CONTENT, [server.url]), policy)
        seen: list[DownloadProgress] = []
        store.download("toy", progress=seen.append)
    notes = [report.note for report in seen if report.note]
    assert len(notes) == 1 and "connection closed after 30000" in notes[0]
    assert "retrying in 0 s (attempt 2 of 3)" in notes[0]
    assert seen[-1].received == len(CONTENT) and not seen[-1].note
