import numpy as np
import pytest

from faceswap_desktop.core.errors import UnknownComponent
from faceswap_desktop.core.identity import (
    DEFAULT_CALIBRATIONS,
    DLIB_CALIBRATION,
    MOBILEFACENET_CALIBRATION,
    CalibrationTable,
    cosine,
    fit_calibration,
    mean_identity,
    verdict_for,
)
from faceswap_desktop.core.types import Identity

# Pair statistics measured on the shared identity set (see the identity module's docstring).
MEASURED = {
    DLIB_CALIBRATION.model: {"diff_p95": 0.882, "same_median": 0.963},
    MOBILEFACENET_CALIBRATION.model: {"diff_p95": 0.160, "same_median": 0.703},
}


@pytest.mark.parametrize("model", list(MEASURED))
def test_calibrations_meet_the_documented_rules(model: str) -> None:
    calibration = CalibrationTable(DEFAULT_CALIBRATIONS).get(model)
    assert calibration.percent(MEASURED[model]["diff_p95"]) <= 10.0
    assert calibration.percent(MEASURED[model]["same_median"]) >= 90.0
    assert calibration.percent(calibration.centre) == pytest.approx(50.0)


def test_fit_calibration_on_separable_pairs() -> None:
    rng = np.random.default_rng(3)
    same = rng.normal(0.7, 0.08, 200)
    diff = rng.normal(0.05, 0.07, 2000)
    fitted = fit_calibration("test", same, diff)
    assert 0.25 < fitted.centre < 0.5
    assert fitted.percent(float(np.percentile(diff, 95))) <= 10.0 + 1e-6
    assert fitted.percent(float(np.median(same))) >= 90.0 - 1e-6


def test_percent_is_monotonic_and_verdicts_are_ordered() -> None:
    values = [MOBILEFACENET_CALIBRATION.percent(c) for c in np.linspace(-1, 1, 50)]
    assert values == sorted(values)
    assert [verdict_for(p) for p in (5, 40, 75, 95)] == [
        "different person",
        "uncertain",
        "likely same",
        "strong match",
    ]


def test_similarity_carries_cosine_percent_verdict_and_model() -> None:
    table = CalibrationTable(DEFAULT_CALIBRATIONS)
    identity = Identity(np.array([1, 0, 0], np.float32), MOBILEFACENET_CALIBRATION.model)
    result = table.similarity(np.array([0.8, 0.6, 0], np.float32), identity)
    assert result.cosine == pytest.approx(0.8)
    assert result.model == MOBILEFACENET_CALIBRATION.model and result.verdict == "strong match"
    with pytest.raises(UnknownComponent):
        table.similarity(np.ones(3, np.float32), Identity(np.ones(3, np.float32), "mystery model"))


def test_mean_identity_is_normalised_and_cosine_handles_zero() -> None:
    identity = mean_identity([np.array([3.0, 0, 0]), np.array([0, 0.5, 0])], "m")
    assert np.linalg.norm(identity.embedding) == pytest.approx(1.0)
    assert identity.photo_count == 2
    assert cosine(identity.embedding, np.array([1.0, 1.0, 0])) == pytest.approx(1.0)
    assert cosine(np.zeros(3), np.ones(3)) == 0.0
