"""The cluster executor of batch renders: Ray tasks (the optional extra ``faceswap-desktop[cluster]``).

Every task is one Ray task that declares its resources (``num_cpus``, and ``num_gpus`` for learned
swappers on GPU nodes), so Ray places it on a node that has them. Nodes need no shared file system:
the driver puts each input file into Ray's object store once (``ray.put``) and every task that reads it
gets it from there (a node keeps one copy per file in its temporary folder); a task returns its output's
bytes, which the driver signs and publishes. A task whose worker process dies is run again by Ray itself
(``max_retries``: Ray retries system failures, not a task's own errors, which come back as outcomes);
the run that finishes says which attempt it was, so ``attempts`` counts Ray's retries too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import BadInput
from .batch_tasks import FAULT_ENV, Task, TaskOutcome, execute_task

StateCallback = Callable[[Task, str], None]

DEFAULT_RETRIES = 2
STOP_POLL_S = 0.25
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def ray_module() -> Any:
    """The ``ray`` module, or :class:`BadInput` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BadInput(
            "--ray needs Ray: pip install 'faceswap-desktop[cluster]' (on every machine of the cluster)"
        ) from None
    return ray


def connect(address: str = "auto", num_cpus: int | None = None) -> str:
    """Connect to the Ray cluster at ``address`` (``auto``: the one started on this machine with
    ``ray start --head``, or ``RAY_ADDRESS``; when there is none, a local Ray instance is started with
    ``num_cpus`` workers). Returns a description of the cluster. Does nothing when already connected."""
    ray = ray_module()
    if ray.is_initialized():
        return _describe(ray)
    if address != "auto":
        try:
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as error:
            raise BadInput(f"cannot connect to the Ray cluster at {address}: {error}") from None
        return _describe(ray)
    try:
        ray.init(address="auto", log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError):
        start_local(num_cpus)
    return _describe(ray)


def start_local(num_cpus: int | None = None) -> None:
    """Start a Ray instance on this machine with ``num_cpus`` worker slots (default: every core)."""
    ray = ray_module()
    # The local instance's workers import this very package (the one the driver runs).
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    ray.init(
        num_cpus=num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )


def _describe(ray: Any) -> str:
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    gpus = resources.get("GPU", 0)
    return f"Ray: {nodes} node(s), {resources.get('CPU', 0):g} CPU(s)" + (
        f", {gpus:g} GPU(s)" if gpus else ""
    )


def _unique(paths: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(paths))


def run_on_node(task: Task, *blobs: bytes) -> TaskOutcome:
    """The body of a Ray task: inputs written to the node's temporary folder, the task rendered there,
    the output returned as bytes."""
    root = Path(tempfile.gettempdir()) / "faceswap-batch"
    mapping: dict[str, str] = {}
    for path, blob in zip(_unique(task.input_paths()), blobs, strict=True):
        folder = root / "inputs" / hashlib.sha256(blob).hexdigest()[:24]
        local = folder / Path(path).name  # the user's file name, for error messages
        if not local.exists():
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{secrets.token_hex(4)}.partial"
            partial.write_bytes(blob)
            os.replace(partial, local)
        mapping[path] = str(local)
    spec = dict(task.spec)
    spec["sources"] = [mapping[p] for p in spec["sources"]]
    spec["target"] = mapping[spec["target"]]
    if spec.get("more_people"):
        spec["more_people"] = [
            {**person, "sources": [mapping[p] for p in person["sources"]]} for person in spec["more_people"]
        ]
    (root / "stage").mkdir(parents=True, exist_ok=True)
    stage = tempfile.mkdtemp(dir=root / "stage")
    try:
        outcome = execute_task(dataclasses.replace(task, spec=spec), stage)
        outcome.attempts = _attempt_number()
        if outcome.staged is not None:
            outcome.data = Path(outcome.staged).read_bytes()
            outcome.staged = None
        return outcome
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _attempt_number() -> int | None:
    """Which run of this Ray task this is (1: the first), from the worker's core; None when this Ray
    version does not say (the call is not in Ray's public API)."""
    try:
        from ray._private.worker import global_worker

        core: Any = getattr(global_worker, "core_worker")  # noqa: B009 (set when the worker connects)
        return int(core.get_current_task_attempt_number()) + 1
    except Exception:  # another Ray version, or not inside a Ray worker
        return None


class RayExecutor:
    """Runs batch tasks as Ray tasks on the connected cluster."""

    name = "ray"

    def __init__(self, retries: int = DEFAULT_RETRIES) -> None:
        ray = ray_module()
        self._ray = ray
        self.retries = retries
        self._remote = ray.remote(run_on_node)
        self.description = _describe(ray) if ray.is_initialized() else "Ray (not connected)"

    def _options(self, task: Task) -> dict[str, Any]:
        options: dict[str, Any] = {
            "num_cpus": task.num_cpus,
            "num_gpus": task.num_gpus,
            "max_retries": self.retries,
            "retry_exceptions": False,
        }
        fault = os.environ.get(FAULT_ENV)
        if fault and "PYTEST_CURRENT_TEST" in os.environ:  # the test-only fault hook reaches the workers
            env = {FAULT_ENV: fault, "PYTEST_CURRENT_TEST": os.environ["PYTEST_CURRENT_TEST"]}
            options["runtime_env"] = {"env_vars": env}
        return options

    def run(
        self,
        tasks: Sequence[Task],
        stage_dir: str,
        on_state: StateCallback | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[TaskOutcome]:
        """Submit every task, then yield outcomes as they finish; when ``stop()`` turns true the
        tasks still pending are cancelled and the run ends."""
        ray = self._ray
        blobs: dict[str, Any] = {}
        pending: dict[Any, Task] = {}
        for task in tasks:
            try:
                refs = [self._blob(path, blobs) for path in _unique(task.input_paths())]
            except OSError as error:
                yield TaskOutcome(task.key, False, f"cannot read {error.filename}: {error.strerror}")
                continue
            pending[self._remote.options(**self._options(task)).remote(task, *refs)] = task
            if on_state is not None:
                on_state(task, "submitted")
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=STOP_POLL_S)
                if stop is not None and stop():
                    return  # the finally clause cancels what is pending
                for ref in done:
                    task = pending.pop(ref)
                    yield self._outcome(ref, task, stage_dir)
        finally:
            for ref in pending:  # interrupted (Ctrl-C, a cancelled job): the cluster stops them too
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)

    def _outcome(self, ref: Any, task: Task, stage_dir: str) -> TaskOutcome:
        ray = self._ray
        try:
            outcome: TaskOutcome = ray.get(ref)
        except ray.exceptions.RayError as error:
            reason = f"the Ray task failed after {self.retries + 1} attempts: {type(error).__name__}"
            return TaskOutcome(task.key, False, reason, attempts=self.retries + 1)
        if outcome.data is not None:
            suffix = Path(task.spec["output"]).suffix
            staged = Path(stage_dir) / f"{secrets.token_hex(6)}.{task.kind}{suffix}"
            staged.write_bytes(outcome.data)
            outcome.data, outcome.staged = None, str(staged)
        return outcome

    def _blob(self, path: str, blobs: dict[str, Any]) -> Any:
        if path not in blobs:
            blobs[path] = self._ray.put(Path(path).read_bytes())
        return blobs[path]
