import numpy as np
import pytest

from faceswap_desktop.core import allocator
from faceswap_desktop.core.allocator import keep_freed_memory


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int] | tuple[str, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append(("mallopt", parameter, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


def test_nested_holders_set_the_thresholds_once_and_trim_when_the_last_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _FakeLibc()
    monkeypatch.setattr(allocator, "_glibc", lambda: fake)
    with keep_freed_memory():
        with keep_freed_memory():
            pass
        assert fake.calls == [
            ("mallopt", allocator.M_MMAP_THRESHOLD, allocator.MMAP_THRESHOLD),
            ("mallopt", allocator.M_TRIM_THRESHOLD, allocator.TRIM_THRESHOLD),
        ]
    assert fake.calls[2:] == [
        ("mallopt", allocator.M_TRIM_THRESHOLD, allocator.RESTORED_TRIM_THRESHOLD),
        ("malloc_trim", 0),
    ]


def test_without_glibc_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    with keep_freed_memory():
        assert np.zeros(1 << 20).sum() == 0


def test_the_real_allocator_keeps_working_inside_and_after() -> None:
    # On Linux this calls glibc's mallopt and malloc_trim for real; elsewhere it is a no-op.
    with keep_freed_memory():
        arrays = [np.full((1 << 20,), i, dtype=np.float32) for i in range(8)]
        del arrays
        again = np.ones((4 << 20,), dtype=np.uint8)
        assert int(again.sum()) == 4 << 20
    assert np.ones(1000).sum() == 1000
