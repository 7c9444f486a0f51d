from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from faceswap_desktop.inference.onnx_proto import (
    OnnxFormatError,
    external_data_locations,
    read_initializer_headers,
    read_last_initializer,
)

from .conftest import SCRFD_MODEL


def _model_with(inits: list[onnx.TensorProto], path: Path) -> Path:
    output = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    graph = helper.make_graph([], "g", [], [output], inits)
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_last_initializer_matches_onnx_for_raw_float32(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    first = rng.normal(size=(512, 512)).astype(np.float32)
    last = rng.normal(size=(512, 512)).astype(np.float32)
    path = _model_with(
        [numpy_helper.from_array(first, "a"), numpy_helper.from_array(last, "emap")], tmp_path / "m.onnx"
    )
    got = read_last_initializer(path)
    assert got.dtype == np.float32 and got.shape == (512, 512)
    np.testing.assert_array_equal(got, last)


@pytest.mark.parametrize("dtype", [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE])
def test_non_raw_storage_is_decoded(tmp_path: Path, dtype: int) -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4) / 8.0
    np_type = {TensorProto.FLOAT: np.float32, TensorProto.FLOAT16: np.float16, TensorProto.DOUBLE: np.float64}
    vals = values.astype(np_type[dtype]).flatten().tolist()
    tensor = helper.make_tensor("t", dtype, [3, 4], vals, raw=False)
    path = _model_with([tensor], tmp_path / "m.onnx")
    np.testing.assert_allclose(read_last_initializer(path), values, rtol=1e-3)


def test_external_data_locations_are_listed(tmp_path: Path) -> None:
    tensor = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.ClearField("raw_data")
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../outside.bin"
    path = _model_with([tensor], tmp_path / "m.onnx")
    assert external_data_locations(path) == ["../outside.bin"]
    with pytest.raises(OnnxFormatError, match="external"):
        read_last_initializer(path)


def test_real_scrfd_model_parses_without_external_data() -> None:
    headers = read_initializer_headers(SCRFD_MODEL)
    reference = onnx.load(str(SCRFD_MODEL)).graph.initializer
    assert [h.name for h in headers] == [t.name for t in reference]
    assert external_data_locations(SCRFD_MODEL) == []
    np.testing.assert_array_equal(
        read_last_initializer(SCRFD_MODEL), numpy_helper.to_array(reference[-1]).astype(np.float32)
    )


def test_garbage_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(OnnxFormatError):
        read_initializer_headers(path)
