"""Do the runtime dependencies have wheels for every supported Python on Linux, Windows and macOS?

For each (Python version, platform) it resolves the project's runtime dependencies (their markers
evaluated for that target, not for this machine) with
``pip install --dry-run --only-binary=:all: --python-version X --platform TAG ...`` and prints a table:
``ok`` with the number of distributions, or the error pip gave. An installer cannot build a source
package on a user's machine, so every cell must be ok. Needs the package index (not run in CI).

pip takes ``--platform`` literally: each target lists every tag such a machine accepts (manylinux
glibc 2.17-2.39, macOS 11-15 arm64 and universal2, win_amd64).

Usage: ``python scripts/check_wheels.py [--python 3.10 3.11 ...] [--json]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Target:
    name: str
    platforms: tuple[str, ...]
    sys_platform: str
    platform_system: str
    platform_machine: str
    os_name: str


def _manylinux(machine: str) -> tuple[str, ...]:
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(39, 16, -1)]
    return (*tags, f"manylinux2014_{machine}", f"manylinux2010_{machine}", f"manylinux1_{machine}")


def _macos() -> tuple[str, ...]:
    tags = []
    for major in (15, 14, 13, 12, 11):
        tags += [f"macosx_{major}_0_arm64", f"macosx_{major}_0_universal2"]
    return tuple(tags)


TARGETS = (
    Target("Linux x86_64", _manylinux("x86_64"), "linux", "Linux", "x86_64", "posix"),
    Target("Windows x86_64", ("win_amd64",), "win32", "Windows", "AMD64", "nt"),
    Target("macOS arm64", _macos(), "darwin", "Darwin", "arm64", "posix"),
)


def runtime_requirements() -> list[Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(text) for text in data["project"]["dependencies"]]


def requirements_for(target: Target, python: str) -> list[str]:
    """The requirement strings that apply on ``target`` with ``python`` (markers evaluated there)."""
    environment = default_environment()
    environment.update(
        python_version=python,
        python_full_version=f"{python}.0",
        sys_platform=target.sys_platform,
        platform_system=target.platform_system,
        platform_machine=target.platform_machine,
        os_name=target.os_name,
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    kept = []
    for requirement in runtime_requirements():
        if requirement.marker is None or requirement.marker.evaluate(environment):
            kept.append(f"{requirement.name}{requirement.specifier}")
    return kept


def resolve(target: Target, python: str) -> tuple[bool, str]:
    """(ok, summary): the dependency set resolved from wheels only, or pip's error."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
            "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
            "--report", str(report),
            *[arg for tag in target.platforms for arg in ("--platform", tag)],
            *requirements_for(target, python),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            # pip's first ERROR lines list ignored versions; the last one names what could not be had.
            lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
            return False, (lines[-1] if lines else done.stderr.strip()[-200:])
        installed = json.loads(report.read_text())["install"]
        names = sorted(f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installed)
        return True, f"ok ({len(names)} wheels): " + ", ".join(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", nargs="+", default=list(PYTHONS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, tuple[bool, str]]] = {}
    for python in args.python:
        for target in TARGETS:
            results.setdefault(python, {})[target.name] = resolve(target, python)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        header = "| Python | " + " | ".join(t.name for t in TARGETS) + " |"
        print(header)
        print("|---" * (len(TARGETS) + 1) + "|")
        for python, row in results.items():
            cells = [("ok" if ok else "FAIL: " + summary) for ok, summary in row.values()]
            print(f"| {python} | " + " | ".join(cells) + " |")
        print()
        for python, row in results.items():
            for name, (_ok, summary) in row.items():
                print(f"{python} {name}: {summary}")
    return 0 if all(ok for row in results.values() for ok, _ in row.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
