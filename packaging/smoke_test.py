"""Smoke test of the built bundle (not the source tree): ``make package-test``.

    .venv/bin/python packaging/smoke_test.py [--bundle build/dist/faceswap-desktop] [--shots DIR]

Runs the frozen app as a user would, in a sandbox: a fresh home whose per-user folders (XDG config,
data, cache, state) and TMPDIR are empty, a working folder of its own and an output folder. Checks:

1. ``--version`` prints the package's version;
2. a CLI photo swap on shared media gives the same identity score as the source tree (within 0.01);
3. a one-second video export works (frames, the audio kept, the synthetic-media label), and a
   registry model downloads into the per-user store and verifies (served over loopback);
4. the window starts offscreen, and under Xvfb when ``xvfb-run`` is installed, with a source and a
   target given on the command line, and shows their swap (the window reports its first scored
   preview; under Xvfb a screenshot of the X screen is taken too: look at it);
5. on the unpacked archive, ``install.sh`` adds the menu entry, icons and a ``~/.local/bin`` link in
   the sandbox's home, the entry runs this folder's app, and ``uninstall.sh`` removes them;
6. nothing was written outside the per-user folders, TMPDIR and the output folder: the bundle and the
   working folder are unchanged, and, when ``strace`` is installed, every file the app's processes
   opened for writing, created, renamed or removed is inside them.

Prints one line per check and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "media"
SOURCE = SHARED / "images/identity/obama/obama.jpg"
TARGET = SHARED / "images/identity/biden/biden2.jpg"
CLIP = SHARED / "videos/short_hamilton_clip.mp4"  # has an audio track
CLIP_SOURCE = SHARED / "images/identity/biden/biden.jpg"
DETECTOR = SHARED.parent / "models/detection/scrfd_2.5g_bnkps.onnx"  # byte-identical to the registry's
TOLERANCE = 0.01
APP_ID = "io.github.faceswap_desktop.FaceswapDesktop"
# strace -y prints a directory descriptor with its path: openat(6</home/u/.cache>, "name", O_WRONLY...).
_DIR = r"(?:(?:AT_FDCWD|\d+<([^>]*)>), )?"
WRITE_CALLS = (
    re.compile(r"openat\(" + _DIR + r'"([^"]+)", [^)]*O_(?:WRONLY|RDWR|CREAT)'),
    re.compile(r"(?:mkdir|mkdirat|unlink|unlinkat|rmdir|creat)\(" + _DIR + r'"([^"]+)"'),
    re.compile(r"rename(?:at2?)?\(" + _DIR + r'"([^"]+)", ' + _DIR + r'"([^"]+)"'),
)


class Sandbox:
    """A fresh user: home, per-user folders, TMPDIR, a working folder and an output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home, self.work, self.out = root / "home", root / "work", root / "out"
        self.tmp = root / "tmp"
        for folder in (self.home, self.work, self.out, self.tmp):
            folder.mkdir(parents=True)
        self.allowed = (self.home, self.tmp, self.out)

    def environment(self, **extra: str) -> dict[str, str]:
        keep = ("PATH", "LANG", "LC_ALL", "DISPLAY", "XAUTHORITY")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_STATE_HOME=str(self.home / ".local/state"),
            TMPDIR=str(self.tmp),
        )
        env.update(extra)
        return env

    def accept_consent(self) -> None:
        """As a user who ticked the consent box before (the Xvfb run ticks it by keyboard instead)."""
        sys.path.insert(0, str(ROOT))
        from faceswap_desktop.app.user_settings import UserSettings, UserSettingsStore

        UserSettingsStore(self.home / ".config" / "faceswap-desktop").save(
            UserSettings(consent_accepted=True)
        )


def tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


class SmokeTest:
    def __init__(self, bundle: Path, sandbox: Sandbox, shots: Path, trace: bool) -> None:
        self.executable = bundle / "faceswap-desktop"
        self.bundle, self.box, self.shots = bundle, sandbox, shots
        self.trace = trace and shutil.which("strace") is not None
        self.trace_files: list[Path] = []
        self.failures: list[str] = []

    def check(self, name: str, test: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail = test()
        except Exception as error:  # any failure is reported, the other checks still run
            self.failures.append(name)
            print(f"FAIL {name}: {error}", flush=True)
            return
        print(f"ok   {name} ({time.perf_counter() - started:.1f} s): {detail}", flush=True)

    def run_app(self, args: list[str], timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.executable), *args]
        if self.trace:
            log = self.box.root / f"strace-{len(self.trace_files)}.log"
            self.trace_files.append(log)
            command = ["strace", "-f", "-y", "-qq", "-e", "trace=%file", "-o", str(log), *command]
        return subprocess.run(
            command,
            cwd=self.box.work,
            env=self.box.environment(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # -- the checks -----------------------------------------------------------------------------------
    def version(self) -> str:
        sys.path.insert(0, str(ROOT))
        from faceswap_desktop import __version__

        result = self.run_app(["--version"])
        if result.returncode != 0 or result.stdout.strip() != f"faceswap-desktop {__version__}":
            raise AssertionError(f"exit {result.returncode}: {result.stdout!r} {result.stderr[-500:]!r}")
        return result.stdout.strip()

    def photo_swap(self) -> str:
        args = ["swap", "--source", str(SOURCE), "--target", str(TARGET), "--json"]
        frozen = self.run_app([*args, "--output", str(self.box.out / "photo.png")])
        if frozen.returncode != 0:
            raise AssertionError(f"exit {frozen.returncode}: {frozen.stderr[-800:]}")
        reference_out = Path(tempfile.mkdtemp()) / "photo.png"
        source_tree = subprocess.run(
            [sys.executable, "-m", "faceswap_desktop", *args, "--output", str(reference_out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if source_tree.returncode != 0:
            raise AssertionError(f"source tree: exit {source_tree.returncode}: {source_tree.stderr[-800:]}")
        shutil.rmtree(reference_out.parent)
        bundle_score = json.loads(frozen.stdout)["faces"][0]["similarity"]["cosine"]
        tree_score = json.loads(source_tree.stdout)["faces"][0]["similarity"]["cosine"]
        if abs(bundle_score - tree_score) > TOLERANCE:
            raise AssertionError(f"bundle {bundle_score:.4f} vs source tree {tree_score:.4f}")
        return f"identity cosine bundle {bundle_score:.4f}, source tree {tree_score:.4f}"

    def video_export(self) -> str:
        import av

        output = self.box.out / "clip.mp4"
        result = self.run_app(
            ["swap", "--source", str(CLIP_SOURCE), "--target", str(CLIP), "--end", "1.0",
             "--output", str(output), "--json"]
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}: {result.stderr[-800:]}")
        summary = json.loads(result.stdout)
        with av.open(str(output)) as container:
            frames = sum(1 for _ in container.decode(video=0))
            has_audio = bool(container.streams.audio)
            tags = {key.lower(): value for key, value in container.metadata.items()}
        labelled = any("synthetic" in value.lower() or "ai" in value.lower() for value in tags.values())
        if frames == 0 or not labelled or not has_audio:
            raise AssertionError(f"{frames} frames, audio {has_audio}, metadata {tags}")
        swapped = summary.get("frames_swapped", "?")
        return f"{frames} frames ({swapped} swapped), audio {has_audio}, label in metadata"

    def model_download(self) -> str:
        """The frozen app downloads a registry model into the per-user store and verifies its pinned
        sha256. The file is served over loopback HTTP (this machine cannot reach the model hosts), the
        only change to the app's own path being the URL; HTTPS itself is covered by the download tests."""
        code = f"""
import dataclasses, functools, http.server, threading
from faceswap_desktop.inference.registry import load_registry
from faceswap_desktop.inference.store import ModelStore
registry = load_registry()
spec = registry.get("scrfd_2.5g_bnkps")
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory={str(DETECTOR.parent)!r})
handler.log_message = lambda *args: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
mirror = dataclasses.replace(spec, urls=(f"http://127.0.0.1:{{server.server_port}}/{DETECTOR.name}",))
store = ModelStore(dataclasses.replace(registry, models={{**registry.models, spec.id: mirror}}))
path = store.download(spec.id)
print(path, store.verify(spec.id).name)
"""
        result = self.run_app(["-c", code], timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}: {result.stderr[-800:]}")
        path, status = result.stdout.split()
        if status != "OK" or not Path(path).is_relative_to(self.box.home / ".local/share/faceswap-desktop"):
            raise AssertionError(result.stdout)
        return f"{DETECTOR.name} downloaded into {Path(path).parent} and verified ({status})"

    def window(self, platform: str) -> str:
        report = self.box.out / f"window-{platform}.json"
        args = ["--source", str(SOURCE), str(TARGET)]
        if platform == "offscreen":
            self.box.accept_consent()
            result = self.run_app(
                args, timeout=180, QT_QPA_PLATFORM="offscreen", FACESWAP_SMOKE_REPORT=str(report)
            )
            if result.returncode != 0:
                raise AssertionError(f"exit {result.returncode}: {result.stderr[-800:]}")
        else:
            self._window_under_xvfb(args, report)
        data = json.loads(report.read_text())
        shutil.copy(report.with_suffix(".png"), self.shots / f"window-{platform}.png")
        if data["faces_swapped"] < 1 or data["target"] != str(TARGET) or data["sources"] != [str(SOURCE)]:
            raise AssertionError(f"window showed {data}")
        return f"{data['platform']}: {data['gauges']}"

    def _window_under_xvfb(self, args: list[str], report: Path) -> None:
        """The real X11 plugin, through Xvfb; consent ticked by keyboard as a first-time user would."""
        config = self.box.home / ".config" / "faceswap-desktop" / "settings.json"
        config.unlink(missing_ok=True)
        script = self.box.root / "xvfb_session.sh"
        shot = self.shots / "xvfb-screen.png"
        consent_shot = self.shots / "xvfb-consent.png"
        command = " ".join(
            ["strace -f -y -qq -e trace=%file -o " + str(self.box.root / "strace-xvfb.log")] * self.trace
            + [f"'{self.executable}'", *(f"'{a}'" for a in args)]
        )
        script.write_text(
            f"""set -e
cd '{self.box.work}'
{command} &
app=$!
for i in $(seq 1 120); do xdotool search --name '^Consent$' >/dev/null 2>&1 && break; sleep 0.5; done
sleep 1
import -window root '{consent_shot}'
wid=$(xdotool search --name '^Consent$' | head -1)
xdotool windowfocus --sync "$wid"
xdotool key space
sleep 0.3
xdotool key Return
for i in $(seq 1 240); do test -s '{report}' && break; sleep 0.5; done
sleep 1
import -window root '{shot}'
wait $app
"""
        )
        if self.trace:
            self.trace_files.append(self.box.root / "strace-xvfb.log")
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "bash", str(script)],
            env=self.box.environment(FACESWAP_SMOKE_REPORT=str(report), FACESWAP_SMOKE_LINGER_MS="3000"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0 or not report.exists():
            raise AssertionError(f"exit {result.returncode}: {result.stderr[-800:]}")

    def desktop_install(self) -> str:
        """install.sh puts the menu entry, icons, metainfo and a ~/.local/bin link in the user's home
        only; the entry runs this folder's app; uninstall.sh takes them away again."""
        install = self.bundle / "install.sh"
        if not install.is_file():
            raise AssertionError(f"no install.sh in {self.bundle} (test the unpacked archive)")
        env = self.box.environment(XDG_DATA_HOME=str(self.box.home / ".local/share"))
        subprocess.run(["sh", str(install)], env=env, check=True, capture_output=True, timeout=60)
        share = self.box.home / ".local/share"
        entry = share / "applications" / f"{APP_ID}.desktop"
        icon = share / "icons/hicolor/256x256/apps" / f"{APP_ID}.png"
        link = self.box.home / ".local/bin/faceswap-desktop"
        text = entry.read_text()
        if (
            f'Exec="{self.executable}" %f' not in text
            or not icon.is_file()
            or link.resolve() != self.executable
        ):
            raise AssertionError(f"installed entry {text!r}, icon {icon.is_file()}, link {link}")
        detail = "menu entry, icons, metainfo and link installed"
        if shutil.which("desktop-file-validate"):
            subprocess.run(["desktop-file-validate", str(entry)], check=True, capture_output=True)
            detail += " (desktop-file-validate clean)"
        version = subprocess.run(
            [str(link), "--version"], env=env, capture_output=True, text=True, timeout=60, check=True
        )
        subprocess.run(["sh", str(self.bundle / "uninstall.sh")], env=env, check=True, capture_output=True)
        if entry.exists() or icon.exists() or link.exists():
            raise AssertionError("uninstall.sh left the entry, an icon or the link behind")
        return f"{detail}; the link runs {version.stdout.strip()}; uninstall.sh removed them"

    def nothing_outside(self, before: dict[str, dict[str, tuple[int, int]]]) -> str:
        for name, folder in (("bundle", self.bundle), ("working folder", self.box.work)):
            if tree_state(folder) != before[name]:
                raise AssertionError(f"the {name} changed")
        if not self.trace:
            return "bundle and working folder unchanged (strace not installed: syscalls not traced)"
        outside: set[str] = set()
        written = 0
        for log in self.trace_files:
            text = log.read_text(errors="replace")
            for pattern in WRITE_CALLS:
                for match in pattern.finditer(text):
                    groups = match.groups()
                    for directory, name in zip(groups[::2], groups[1::2], strict=True):
                        written += 1
                        # Relative to the descriptor's folder, or to the working folder (AT_FDCWD).
                        path = Path(directory or self.box.work) / name
                        if not any(path.is_relative_to(folder) for folder in self.box.allowed) and not (
                            str(path).startswith(("/dev/", "/proc/"))
                        ):
                            outside.add(str(path))
        if outside:
            raise AssertionError(f"written outside the per-user folders and the output: {sorted(outside)}")
        return f"{written} writes traced in {len(self.trace_files)} runs, all inside the allowed folders"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "build/dist/faceswap-desktop")
    parser.add_argument("--shots", type=Path, default=ROOT / "build/smoke", help="screenshots go here")
    parser.add_argument("--no-trace", action="store_true", help="do not trace file writes with strace")
    args = parser.parse_args()
    if not (args.bundle / "faceswap-desktop").is_file():
        print(f"no bundle at {args.bundle}: run make package first", file=sys.stderr)
        return 2
    args.shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="faceswap-smoke-") as root:
        box = Sandbox(Path(root))
        test = SmokeTest(args.bundle.resolve(), box, args.shots.resolve(), trace=not args.no_trace)
        before = {"bundle": tree_state(test.bundle), "working folder": tree_state(box.work)}
        test.check("--version", test.version)
        test.check("CLI photo swap (identity as in the source tree)", test.photo_swap)
        test.check("CLI video export", test.video_export)
        test.check("model download into the per-user store (loopback mirror)", test.model_download)
        test.check("window offscreen with files from the command line", lambda: test.window("offscreen"))
        if shutil.which("xvfb-run") and shutil.which("xdotool") and shutil.which("import"):
            test.check("window under Xvfb with files from the command line", lambda: test.window("xvfb"))
        else:
            print("skip window under Xvfb: xvfb-run, xdotool or imagemagick's import is not installed")
        if (test.bundle / "install.sh").is_file():
            test.check("install.sh / uninstall.sh for the current user", test.desktop_install)
        test.check(
            "nothing written outside the per-user folders and the output",
            lambda: test.nothing_outside(before),
        )
    print(f"screenshots in {args.shots}")
    if test.failures:
        print(f"{len(test.failures)} check(s) failed: {', '.join(test.failures)}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
