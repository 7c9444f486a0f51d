"""The program ends without the interpreter's teardown (``__main__._exit_without_teardown``): the exit
status, the output written to a pipe and the exit handlers registered meanwhile are those of a normal
exit. Run as a user runs it, in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_desktop import __version__
from faceswap_desktop.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def program(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "faceswap_desktop", *args]
    )
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_exit_statuses_are_the_commands(tmp_path: Path) -> None:
    version = program("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"faceswap-desktop {__version__}")
    assert program("swap").returncode == 2  # argparse: a required option is missing
    missing = program("swap", "--source", str(tmp_path / "a.jpg"), "--target", str(tmp_path / "b.jpg"),
                      "--output", str(tmp_path / "c.png"))  # fmt: skip
    assert missing.returncode == 2 and "error: file not found" in missing.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_fails_at_once_stops_its_decoding_helper_cleanly(tmp_path: Path) -> None:
    """``swap`` starts a decoding helper first thing (on the other core, while it imports). Failing
    before it uses it, the program still stops it through the helper pool's exit handler, which runs
    before the one that ends the process: registered after it. Here the helper takes 1.5 s more to
    start than the command takes to fail; had the process ended first, the helper would have found no
    app to connect to and printed a traceback."""
    code = (
        "import atexit, sys\n"
        "order = []\n"
        "register = atexit.register\n"
        "atexit.register = lambda f, *a, **k: (order.append(f.__module__ + '.' + f.__qualname__), "
        "register(f, *a, **k))[1]\n"
        "import faceswap_desktop.__main__ as entry\n"
        "first = entry._exit_without_teardown\n"
        "def slow_helpers():\n"
        "    first()\n"
        "    from faceswap_desktop.core.media import guarded_decode\n"
        "    guarded_decode.CHILD_CODE = 'import time; time.sleep(1.5); ' + guarded_decode.CHILD_CODE\n"
        "entry._exit_without_teardown = slow_helpers\n"
        f"sys.argv = ['faceswap-desktop', 'swap', '--source', {str(tmp_path / 'a.jpg')!r}, "
        f"'--target', {str(tmp_path / 'b.mp4')!r}, '--output', {str(tmp_path / 'c.mp4')!r}]\n"
        "status = entry.main()\n"
        "print(*order, sep='\\n')\n"
        "sys.exit(status)\n"
    )
    run = program(code=code)
    assert run.returncode == 2 and "error: file not found" in run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    order = run.stdout.split()
    assert order[0] == "faceswap_desktop.__main__._exit_without_teardown.<locals>.finish"
    assert "faceswap_desktop.core.media.guarded_decode._shutdown" in order[1:]


def test_output_to_a_pipe_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    """stdout to a pipe is block-buffered: what is still in the buffer at the end is written."""
    assert cli_main(["models", "list"]) == 0
    expected = capsys.readouterr().out
    run = program("models", "list")
    assert run.returncode == 0 and run.stdout == expected and len(expected) > 100


def test_exit_handlers_registered_while_the_command_runs_still_run() -> None:
    """As logging's flush or the decoding helpers' stop: registered after the program started."""
    code = (
        "import atexit, sys\n"
        "import faceswap_desktop.__main__ as entry\n"
        "from faceswap_desktop import cli\n"
        "real = cli.main\n"
        "def command(args):\n"
        "    atexit.register(lambda: print('handler ran', flush=False))\n"
        "    return real(args)\n"
        "cli.main = command\n"
        "sys.argv = ['faceswap-desktop', 'models', 'list']\n"
        "sys.exit(entry.main())\n"
    )
    run = program(code=code)
    assert run.returncode == 0 and run.stdout.endswith("handler ran\n")
