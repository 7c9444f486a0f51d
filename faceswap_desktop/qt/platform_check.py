"""Before Qt starts on Linux: can its X11 (xcb) platform plugin load? If not, say which system packages
to install, instead of Qt's abort ("could not load the Qt platform plugin xcb"), which names the plugin
folder and not the missing libraries.

The plugin links a dozen xcb helper libraries that minimal desktops and containers often lack. The
libraries it cannot find are read with ``ldd`` (every missing one at once) or, without ``ldd``, from
the dynamic loader's error for the first one.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES: dict[str, tuple[str, str]] = {
    # library soname prefix: (Debian/Ubuntu package, Fedora package)
    "libxcb-cursor.so": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-xkb.so": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so": ("libxcb-shape0", "libxcb"),
    "libxcb-xfixes.so": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so": ("libxcb-sync1", "libxcb"),
    "libxcb-shm.so": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so": ("libxcb-render0", "libxcb"),
    "libxcb-xinput.so": ("libxcb-xinput0", "libxcb"),
    "libxcb.so": ("libxcb1", "libxcb"),
    "libX11-xcb.so": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so": ("libx11-6", "libX11"),
    "libSM.so": ("libsm6", "libSM"),
    "libICE.so": ("libice6", "libICE"),
    "libEGL.so": ("libegl1", "libglvnd-egl"),
    "libGL.so": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so": ("libfontconfig1", "fontconfig"),
    "libfreetype.so": ("libfreetype6", "freetype"),
    "libdbus-1.so": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so": ("libglib2.0-0", "glib2"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_DLOPEN_ERROR = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


@dataclass(frozen=True)
class XcbProblem:
    """The xcb plugin cannot load: the libraries it misses and a message for the user."""

    missing: tuple[str, ...]
    detail: str

    def message(self) -> str:
        debian = sorted({_package(lib)[0] for lib in self.missing})
        fedora = sorted({_package(lib)[1] for lib in self.missing})
        lines = [
            "faceswap-desktop cannot open its window: Qt's X11 (xcb) platform plugin cannot load.",
            f"Missing system libraries: {', '.join(self.missing) or self.detail}",
        ]
        if self.missing:
            lines += [
                f"  Debian/Ubuntu: sudo apt install {' '.join(debian)}",
                f"  Fedora:        sudo dnf install {' '.join(fedora)}",
            ]
        lines.append("The command line (faceswap-desktop swap ...) works without them.")
        return "\n".join(lines)


def _package(library: str) -> tuple[str, str]:
    for prefix, packages in PACKAGES.items():
        if library.startswith(prefix):
            return packages
    return (library, library)


def xcb_plugin_path() -> Path | None:
    """PySide6's xcb platform plugin, when this is a Linux install that has one."""
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def uses_xcb(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether Qt will pick the xcb plugin: Linux, and no other platform asked for or available."""
    if not sys.platform.startswith("linux"):
        return False
    platform = environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")  # on Wayland Qt prefers its wayland plugin


def missing_libraries(plugin: Path) -> tuple[str, ...]:
    """The shared libraries ``plugin`` needs and the loader cannot find (empty: it loads)."""
    ldd = shutil.which("ldd")
    if ldd is not None:
        try:
            listed = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20)
            return tuple(dict.fromkeys(_NOT_FOUND.findall(listed.stdout)))
        except (OSError, subprocess.TimeoutExpired):
            pass
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        found = _DLOPEN_ERROR.search(str(error))
        return (found.group(1),) if found else (str(error),)
    return ()


def check_xcb(environ: dict[str, str] | os._Environ[str] = os.environ) -> XcbProblem | None:
    """None when Qt's window can start here (or this is not an xcb session), else what is missing."""
    if not uses_xcb(environ):
        return None
    plugin = xcb_plugin_path()
    if plugin is None:
        return None  # not a layout we know: let Qt speak for itself
    missing = missing_libraries(plugin)
    return XcbProblem(missing, f"{plugin.name} does not load") if missing else None


def missing_library_message(error: ImportError) -> str | None:
    """A message naming the package to install when importing Qt failed for a missing system library
    (None for any other import error)."""
    found = _DLOPEN_ERROR.search(str(error))
    if found is None:
        return None
    return (
        XcbProblem((found.group(1),), str(error))
        .message()
        .replace("Qt's X11 (xcb) platform plugin cannot load", "Qt's libraries cannot load")
    )
