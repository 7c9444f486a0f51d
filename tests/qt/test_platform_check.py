"""Missing xcb libraries on Linux: a message naming the packages instead of Qt's abort (issue #18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_desktop.qt import platform_check
from faceswap_desktop.qt.platform_check import XcbProblem, check_xcb, missing_library_message, uses_xcb

LDD_OUTPUT = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibQt6Gui.so.6 => /site-packages/PySide6/Qt/lib/libQt6Gui.so.6 (0x00007f)
\tlibxkbcommon-x11.so.0 => not found
"""


def test_the_message_names_each_missing_library_and_its_packages() -> None:
    message = XcbProblem(("libxcb-cursor.so.0", "libxkbcommon-x11.so.0"), "").message()
    assert "libxcb-cursor.so.0, libxkbcommon-x11.so.0" in message
    assert "sudo apt install libxcb-cursor0 libxkbcommon-x11-0" in message
    assert "sudo dnf install libxkbcommon-x11 xcb-util-cursor" in message


def test_only_an_xcb_session_is_checked() -> None:
    linux = sys.platform.startswith("linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}) is linux
    assert uses_xcb({}) is linux
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"})


def test_an_import_error_for_a_system_library_becomes_the_message() -> None:
    error = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    message = missing_library_message(error)
    assert message is not None and "sudo apt install libegl1" in message
    assert missing_library_message(ImportError("No module named 'PySide6'")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux's")
def test_the_check_agrees_with_the_dynamic_loader() -> None:
    """On this machine, whatever it has: the plugin loads (dlopen) exactly when the check finds nothing
    missing, and when it does not load, the library the loader names is among those reported (seen on a
    minimal Debian 13 root: ten xcb libraries missing, exit 6 with the apt line)."""
    import ctypes

    plugin = platform_check.xcb_plugin_path()
    assert plugin is not None
    problem = check_xcb({"QT_QPA_PLATFORM": "xcb"})
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        assert problem is not None and any(library in str(error) for library in problem.missing), error
    else:
        assert problem is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux's")
def test_starting_the_window_without_the_libraries_exits_with_the_message(tmp_path: Path) -> None:
    """The real entry point, with an ``ldd`` that reports three libraries missing."""
    fake = tmp_path / "ldd"
    fake.write_text(f"#!/bin/sh\ncat <<'END'\n{LDD_OUTPUT}END\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}", QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-m", "faceswap_desktop"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 6, done.stderr
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxkbcommon-x11.so.0" in done.stderr
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0" in done.stderr
    assert "Aborted" not in done.stderr and "could not load the Qt platform plugin" not in done.stderr
