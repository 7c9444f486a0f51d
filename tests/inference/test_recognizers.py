"""Both recognizers on the shared identity set: same-person pairs must rank above different-person pairs."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from faceswap_desktop.core.identity import cosine
from faceswap_desktop.core.media.image_io import read_image


def _auc(same: list[float], different: list[float]) -> float:
    wins = sum((s > d) + 0.5 * (s == d) for s in same for d in different)
    return wins / (len(same) * len(different))


@pytest.fixture(scope="module")
def identity_faces(media: Path, analyser):
    faces = []
    for path in sorted((media / "identity").glob("*/*")):
        image = read_image(path)
        faces.append((path.parent.name, image, analyser.detect_faces(image)[0]))
    return faces


@pytest.mark.parametrize("judge_name", ["mobilefacenet", "dlib"])
def test_same_person_pairs_rank_above_different_person_pairs(
    identity_faces, judge_name, mobilefacenet, context
):
    judge = mobilefacenet if judge_name == "mobilefacenet" else context.recognizer("dlib")
    embeddings = [(person, judge.embed(image, face)) for person, image, face in identity_faces]
    for _, vector in embeddings:
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    same, different = [], []
    for (pa, ea), (pb, eb) in itertools.combinations(embeddings, 2):
        (same if pa == pb else different).append(cosine(ea, eb))
    auc = _auc(same, different)
    print(f"{judge.name}: AUC {auc:.4f} over {len(same)} same / {len(different)} different pairs")
    assert auc >= 0.99
    assert np.mean(same) > np.mean(different) + 0.05


def test_onnx_recognizer_reads_its_input_contract_from_the_session(mobilefacenet) -> None:
    assert mobilefacenet.size == 112
    assert mobilefacenet.embedding_size == 128
