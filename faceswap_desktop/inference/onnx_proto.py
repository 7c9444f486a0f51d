"""A minimal, read-only reader of ONNX model files (protobuf wire format) for two facts we need.

1. The initializers' external-data references, so that a model pointing at files outside the model store
   is refused before onnxruntime follows those paths.
2. The graph's last initializer (inswapper's ``emap``).

Why not the ``onnx`` package: it installs ~85 MB and pins protobuf, which mediapipe also pins; we only
need to walk three message types. The file is memory-mapped and large fields (weights) are skipped by
offset, so scanning a 550 MB model reads only the small headers of each tensor.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Field numbers from onnx.proto3 (stable since IR version 3).
_MODEL_GRAPH = 7
_GRAPH_INITIALIZER = 5
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_FLOAT_DATA, _TENSOR_INT32_DATA = 1, 2, 4, 5
_TENSOR_INT64_DATA, _TENSOR_NAME, _TENSOR_RAW_DATA, _TENSOR_DOUBLE_DATA = 7, 8, 9, 10
_TENSOR_EXTERNAL_DATA, _TENSOR_DATA_LOCATION = 13, 14
_ENTRY_KEY, _ENTRY_VALUE = 1, 2

# TensorProto.DataType values we can decode.
_DTYPES: dict[int, np.dtype[np.generic]] = {
    1: np.dtype("<f4"),  # FLOAT
    10: np.dtype("<f2"),  # FLOAT16
    11: np.dtype("<f8"),  # DOUBLE
    6: np.dtype("<i4"),  # INT32
    7: np.dtype("<i8"),  # INT64
}
_VARINT_FIELDS = (_TENSOR_INT32_DATA, _TENSOR_INT64_DATA)


class OnnxFormatError(ValueError):
    """The file is not a well-formed ONNX protobuf (or uses a layout this reader does not decode)."""


@dataclass(frozen=True)
class TensorHeader:
    """Where one initializer lives in the file; ``data`` spans are (start, end) byte offsets."""

    name: str
    dims: tuple[int, ...]
    data_type: int
    raw_data: tuple[int, int] | None
    packed_data: tuple[int, int] | None
    packed_field: int
    external_location: str | None


def _varint(buf: mmap.mmap | bytes, pos: int, end: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if pos >= end or shift > 63:
            raise OnnxFormatError("truncated or malformed varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: mmap.mmap | bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield (field number, wire type, value or start, end) for each field of a message span."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, pos
        elif wire == 1:
            yield number, wire, pos, pos + 8
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise OnnxFormatError("length-delimited field runs past its message")
            yield number, wire, pos, pos + length
            pos += length
        elif wire == 5:
            yield number, wire, pos, pos + 4
            pos += 4
        else:
            raise OnnxFormatError(f"unsupported wire type {wire}")


def _tensor_header(buf: mmap.mmap, start: int, end: int) -> TensorHeader:
    name, dims, data_type = "", [], 0
    raw: tuple[int, int] | None = None
    packed: tuple[int, int] | None = None
    packed_field = 0
    location: str | None = None
    for number, wire, a, b in _fields(buf, start, end):
        if number == _TENSOR_DIMS:
            if wire == 0:
                dims.append(a)
            else:  # packed repeated int64
                pos = a
                while pos < b:
                    dim, pos = _varint(buf, pos, b)
                    dims.append(dim)
        elif number == _TENSOR_DATA_TYPE and wire == 0:
            data_type = a
        elif number == _TENSOR_NAME and wire == 2:
            name = bytes(buf[a:b]).decode("utf-8", "replace")
        elif number == _TENSOR_RAW_DATA and wire == 2:
            raw = (a, b)
        elif number in (_TENSOR_FLOAT_DATA, _TENSOR_DOUBLE_DATA, *_VARINT_FIELDS) and wire == 2:
            packed, packed_field = (a, b), number
        elif number == _TENSOR_EXTERNAL_DATA and wire == 2:
            key = value = ""
            for entry_number, _, c, d in _fields(buf, a, b):
                text = bytes(buf[c:d]).decode("utf-8", "replace")
                if entry_number == _ENTRY_KEY:
                    key = text
                elif entry_number == _ENTRY_VALUE:
                    value = text
            if key == "location":
                location = value
    return TensorHeader(name, tuple(dims), data_type, raw, packed, packed_field, location)


def read_initializer_headers(path: Path) -> list[TensorHeader]:
    """Headers of every graph initializer, in file order (no weight data is copied)."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        return _headers(buf)


def _headers(buf: mmap.mmap) -> list[TensorHeader]:
    headers: list[TensorHeader] = []
    graphs = [
        (a, b) for number, wire, a, b in _fields(buf, 0, len(buf)) if number == _MODEL_GRAPH and wire == 2
    ]
    if not graphs:
        raise OnnxFormatError("no graph in the model file")
    for g_start, g_end in graphs:
        for number, wire, a, b in _fields(buf, g_start, g_end):
            if number == _GRAPH_INITIALIZER and wire == 2:
                headers.append(_tensor_header(buf, a, b))
    return headers


def external_data_locations(path: Path) -> list[str]:
    """The ``location`` of every initializer stored outside the model file."""
    return [h.external_location for h in read_initializer_headers(path) if h.external_location is not None]


def read_last_initializer(path: Path) -> NDArray[Any]:
    """The graph's last initializer as a float32 array (inswapper stores its emap there)."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        headers = _headers(buf)
        if not headers:
            raise OnnxFormatError("the graph has no initializers")
        return _decode(buf, headers[-1]).astype(np.float32)


def _decode(buf: mmap.mmap, header: TensorHeader) -> NDArray[Any]:
    if header.external_location is not None:
        raise OnnxFormatError(f"initializer {header.name!r} is stored in an external file")
    dtype = _DTYPES.get(header.data_type)
    if dtype is None:
        raise OnnxFormatError(f"initializer {header.name!r} has unsupported data type {header.data_type}")
    count = int(np.prod(header.dims)) if header.dims else 1
    if header.raw_data is not None:
        start, end = header.raw_data
        values = np.frombuffer(bytes(buf[start:end]), dtype=dtype)
    elif header.packed_data is not None:
        start, end = header.packed_data
        chunk = bytes(buf[start:end])
        if header.packed_field in _VARINT_FIELDS:
            numbers, pos = [], 0
            while pos < len(chunk):
                value, pos = _varint(chunk, pos, len(chunk))
                numbers.append(value - (1 << 64) if value >= 1 << 63 else value)  # two's complement
            if header.data_type == 10:  # float16 bit patterns are stored in int32_data
                values = np.array(numbers, dtype="<u2").view("<f2")
            else:
                values = np.array(numbers, dtype=dtype)
        else:
            values = np.frombuffer(chunk, dtype=dtype)
    else:
        raise OnnxFormatError(f"initializer {header.name!r} has no data")
    if values.size != count:
        raise OnnxFormatError(f"initializer {header.name!r} holds {values.size} values, dims say {count}")
    return values.reshape(header.dims)
