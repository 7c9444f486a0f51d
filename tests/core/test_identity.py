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
from tests.conftest import MEDIA

IDENTITY = MEDIA / "identity"


@pytest.fixture(scope="module")
def pair_cosines(analysed, context, mobilefacenet) -> dict[str, tuple[list[float], list[float]]]:
    """Same-person and different-person pair cosines per model, measured now on the shared identity
    set as the identity module's docstring describes (its numbers are not copied here)."""
    photos = sorted(IDENTITY.glob("*/*.jpg"))
    measured = {}
    for recognizer in (context.recognizer("dlib"), mobilefacenet):
        embedded = []
        for path in photos:
            image, faces = analysed(str(path.relative_to(MEDIA)))
            embedded.append((path.parent.name, recognizer.embed(image, faces[0])))
        same, different = [], []
        for i, (person_a, a) in enumerate(embedded):
            for person_b, b in embedded[i + 1 :]:
                (same if person_a == person_b else different).append(cosine(a, b))
        measured[recognizer.name] = (same, different)
    return measured


@pytest.mark.parametrize("model", [DLIB_CALIBRATION.model, MOBILEFACENET_CALIBRATION.model])
def test_calibrations_meet_the_documented_rules(model: str, pair_cosines) -> None:
    same, different = pair_cosines[model]
    assert (len(same), len(different)) == (26, 352)  # 28 photos of 10 people (2-3 each)
    calibration = CalibrationTable(DEFAULT_CALIBRATIONS).get(model)
    assert calibration.percent(float(np.percentile(different, 95))) <= 10.0
    assert calibration.percent(float(np.median(same))) >= 90.0
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


def test_verdict_bands_change_exactly_at_their_edges() -> None:
    edges = {25.0: ("different person", "uncertain"), 60.0: ("uncertain", "likely same")}
    edges[90.0] = ("likely same", "strong match")
    for edge, (below, at) in edges.items():
        assert (verdict_for(edge - 0.1), verdict_for(edge)) == (below, at), edge
