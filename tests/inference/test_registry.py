from __future__ import annotations

import pytest

from faceswap_desktop.core.errors import UnknownComponent
from faceswap_desktop.inference.registry import RegistryError, load_registry, parse_registry

# docs/models.md, copied by hand: the registry must agree with it byte for byte.
EXPECTED_SHA256 = {
    "inswapper_128_fp16": "6d51a9278a1f650cffefc18ba53f38bf2769bf4bbff89267822cf72945f8a38b",
    "inswapper_128": "e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af",
    "w600k_r50": "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
    "det_10g": "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91",
    "scrfd_2.5g_bnkps": "bc24bb349491481c3ca793cf89306723162c280cb284c5a5e49df3760bf5c2ce",
    "simswap_512_unoff": "08c6ca9c0a65eff119bea42686a4574337141de304b9d26e2f9d11e78d9e8e86",
    "simswap_arcface_model": "58949c864ab4a89012aaefc117f1ab8548c5f470bbc3889474bca13a412fc843",
    "gfpgan_1.4": "6548e54cbcf248af385248f0c1193b359c37a0f98b836282b09cf48af4fd2b73",
    "occluder": "79f5c2edf10b83458693d122dd51488b210fb80c059c5d56347a047710d44a78",
    "xseg": "4381395dcbec1eef469fa71cfb381f00ac8aadc3e5decb4c29c36b6eb1f38ad9",
    "faceparser_resnet34": "5b805bba7b5660ab7070b5a381dcf75e5b3e04199f1e9387232a77a00095102e",
}


def test_packaged_registry_has_every_model_with_the_documented_hash() -> None:
    registry = load_registry()
    assert {spec.id: spec.sha256 for spec in registry if spec.id in EXPECTED_SHA256} == EXPECTED_SHA256
    fp32 = registry.get("inswapper_128")
    assert fp32.size == 554_253_681 and fp32.precision == "fp32"
    assert registry.get("inswapper_128_fp16").variant_of == "inswapper_128"
    assert [s.id for s in registry.variants("inswapper_128_fp16")] == ["inswapper_128", "inswapper_128_fp16"]


def test_swappers_name_the_recognizer_whose_space_they_use() -> None:
    registry = load_registry()
    assert registry.get("inswapper_128").requires_recognizer == "w600k_r50"
    assert registry.get("simswap_512_unoff").requires_recognizer == "simswap_arcface_model"
    assert all(spec.requires_recognizer for spec in registry.by_role("swapper"))


def test_unknown_id_raises_unknown_component() -> None:
    with pytest.raises(UnknownComponent, match="inswapper_256"):
        load_registry().get("inswapper_256")


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "m",
        "role": "detector",
        "file": "m.onnx",
        "urls": ["https://example.org/m.onnx"],
        "sha256": "0" * 64,
        "input_size": 640,
        "mean": [0, 0, 0],
        "std": [1, 1, 1],
    }
    entry.update(changes)
    return entry


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file": "../evil.onnx"}, "bare file name"),
        ({"file": "sub/m.onnx"}, "bare file name"),
        ({"sha256": "ABC"}, "sha256"),
        ({"urls": ["http://example.org/m.onnx"]}, "https"),
        ({"role": "painter"}, "role"),
        ({"size": -1}, "size"),
        ({"colour": "RGB"}, "unknown field"),
        ({"requires_recognizer": "nobody"}, "requires_recognizer"),
    ],
)
def test_malformed_entries_are_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        parse_registry({"schema": 1, "model": [_entry(**change)]})


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(RegistryError, match="duplicate"):
        parse_registry({"schema": 1, "model": [_entry(), _entry(file="n.onnx")]})
