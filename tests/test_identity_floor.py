"""The identity test that can fail (issue #2): swaps judged by the shared MobileFaceNet, not by the engine.

Measured with the default settings (benchmarks/bench_identity.py, docs/likeness.md): identity ratio 0.760
(0.745 the same day before the mouth/eye opening and forehead hue changes; 0.711 before the skin extension
and the pose-keeping shape transfer), pose kept on 29/30 pairs (the 30th sits on the pitch limit), every
result closer to the held-out source photo than the untouched target.
The floor sits a little under the measurement so that it catches regressions, not noise.

2026-12-07: 0.735 -> 0.725. The skin extension's dark stop (``skin_extension.SOURCE_DARK_LEVELS``, issue
#19) keeps the source's hairline edge off the target's forehead, where it showed as a brown arc; the judge
had counted that arc as likeness: 0.740 -> 0.730 on this protocol (29/30 poses kept, every result still
closer to the source than the target). Measured with benchmarks/bench_photo.py on the merged tree.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from identity_eval import evaluate, load_people, summarise

from faceswap_desktop.core.settings import SwapSettings

IDENTITY_RATIO_FLOOR = 0.725
POSE_KEPT_FLOOR = 0.95


@pytest.fixture(scope="module")
def people(context):
    return load_people(context.build_pipeline(judge=None))


def test_swaps_look_like_the_source_person(context, mobilefacenet, people) -> None:
    results = evaluate(context.build_pipeline(judge=None), mobilefacenet, people, SwapSettings())
    summary = summarise(results)
    print({k: round(v, 3) for k, v in summary.items()})
    assert summary["pairs"] == 30
    for r in results:
        assert r.cos_result_heldout > r.cos_target_heldout, (
            f"{r.source} -> {r.target} not closer than the target"
        )
    assert summary["identity_ratio"] >= IDENTITY_RATIO_FLOOR
    assert summary["pose_kept"] >= POSE_KEPT_FLOOR
    assert summary["leakage"] < summary["mean_cos_result_heldout"]
