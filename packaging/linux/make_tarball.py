"""Wrap the PyInstaller folder into the Linux download: ``faceswap-desktop-VERSION-linux-x86_64.tar.gz``.

    .venv/bin/python packaging/linux/make_tarball.py [--bundle build/dist/faceswap-desktop] [--out build]

The archive unpacks to one folder that runs in place (``./faceswap-desktop``) and carries what a desktop
needs to list it: the desktop entry, the icons (hicolor sizes), the AppStream metainfo, and
``install.sh`` / ``uninstall.sh``, which add or remove the menu entry, icons and a
``~/.local/bin/faceswap-desktop`` link for the current user (no root, nothing outside ``~/.local``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "io.github.faceswap_desktop.FaceswapDesktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def stage(bundle: Path, folder: Path) -> None:
    """Copy the frozen app and the desktop files into ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(bundle, folder, symlinks=True)
    share = folder / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(RESOURCES / "linux" / f"{APP_ID}.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy(RESOURCES / "linux" / f"{APP_ID}.metainfo.xml", share / "metainfo")
    for size in ICON_SIZES:
        icons = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        icons.mkdir(parents=True)
        shutil.copy(RESOURCES / "icons" / "png" / f"faceswap-desktop-{size}.png", icons / f"{APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(RESOURCES / "icons" / "faceswap-desktop.svg", scalable / f"{APP_ID}.svg")
    for script in ("install.sh", "uninstall.sh"):
        target = folder / script
        shutil.copy(Path(__file__).with_name(script), target)
        target.chmod(0o755)
    shutil.copy(Path(__file__).with_name("README.txt"), folder / "README.txt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "build/dist/faceswap-desktop")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    if not (args.bundle / "faceswap-desktop").is_file():
        print(f"no bundle at {args.bundle}: run pyinstaller first (make package)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from faceswap_desktop import __version__

    name = f"faceswap-desktop-{__version__}-linux-x86_64"
    folder = args.out / name
    stage(args.bundle, folder)
    archive = args.out / f"{name}.tar.gz"
    partial = archive.with_name(archive.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=name)
    partial.replace(archive)  # never a half-written archive under the final name
    # Links (PyInstaller links some libraries into place) are counted once, as their targets.
    unpacked = sum(
        path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink()
    )
    print(
        f"{archive}: {archive.stat().st_size / 2**20:.0f} MiB compressed, {unpacked / 2**20:.0f} MiB unpacked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
