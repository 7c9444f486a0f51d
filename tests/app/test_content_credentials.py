"""Provenance labels read back from every output format: XMP and C2PA on photos, container tags and C2PA
on videos; the signing certificate; and exports that still happen when signing cannot."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

import c2pa
import cv2
import numpy as np
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from faceswap_desktop.app import content_credentials as cc
from faceswap_desktop.core.media.image_io import read_image
from faceswap_desktop.core.media.provenance import (
    DIGITAL_SOURCE_TYPE,
    is_labelled_synthetic_video,
    read_digital_source_type,
)
from faceswap_desktop.core.media.video_io import VideoReader, probe_video
from faceswap_desktop.core.media.video_writer import EncodeOptions, VideoWriter
from tests.conftest import SHARED

HAMILTON = SHARED / "media" / "videos" / "short_hamilton_clip.mp4"


def trusting_context(folder: Path | None = None) -> Any:
    """A c2pa reading context that trusts the test run's local CA (as a verifier told about it would)."""
    anchor = ((folder or cc.credentials_dir()) / cc.CA_FILE).read_text()
    return c2pa.Context.from_dict({"trust": {"user_anchors": anchor}})


def read_manifest(path: Path, context: Any = None) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(validation state, active manifest, validation results) read by the c2pa Reader."""
    with open(path, "rb") as stream, c2pa.Reader(stream, context=context) as reader:
        return reader.get_validation_state(), reader.get_active_manifest(), reader.get_validation_results()


def created_actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    actions = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
    assert len(actions) == 1
    return list(actions[0]["data"]["actions"])


def picture(height: int = 96, width: int = 128) -> np.ndarray:
    return np.random.default_rng(11).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("extension", [".png", ".jpg", ".jpeg", ".webp"])
def test_every_image_format_carries_both_labels(tmp_path: Path, extension: str) -> None:
    image = picture()
    path = tmp_path / f"export{extension}"
    summary = cc.write_export_image(path, image)
    assert summary == {
        "xmp_digital_source_type": DIGITAL_SOURCE_TYPE,
        "content_credentials": "signed",
        "watermark": False,
    }
    data = path.read_bytes()
    # The XMP label survives the C2PA embedding (it was written first and is covered by the hash).
    assert read_digital_source_type(data) == DIGITAL_SOURCE_TYPE
    state, manifest, _results = read_manifest(path, trusting_context())
    assert state == "Trusted"
    (action,) = created_actions(manifest)
    assert action["action"] == "c2pa.created" and action["digitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert manifest["title"] == path.name
    assert manifest["claim_generator_info"][0]["name"] == "faceswap-desktop"
    decoded = read_image(path)
    assert decoded.shape == image.shape
    if extension == ".png":
        assert np.array_equal(decoded, image)  # both labels are container edits: pixels untouched
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_verifier_without_our_ca_sees_a_valid_but_untrusted_signature(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    cc.write_export_image(path, picture())
    state, _manifest, results = read_manifest(path)
    failures = {item["code"] for item in results["activeManifest"]["failure"]}
    assert state == "Valid" and failures == {"signingCredential.untrusted"}


def test_an_edit_after_export_breaks_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "edited.png"
    cc.write_export_image(path, picture())
    data = bytearray(path.read_bytes())
    idat = data.find(b"IDAT")
    data[idat + 40] ^= 0xFF  # one byte of the compressed pixels
    path.write_bytes(bytes(data))
    state, _manifest, results = read_manifest(path, trusting_context())
    assert state == "Invalid"
    assert any("mismatch" in item["code"] for item in results["activeManifest"]["failure"])


def test_the_watermark_and_the_off_switch(tmp_path: Path) -> None:
    image = picture(480, 640)
    marked, plain = tmp_path / "marked.png", tmp_path / "plain.png"
    assert cc.write_export_image(marked, image, watermark=True)["watermark"] is True
    summary = cc.write_export_image(plain, image, content_credentials=False)
    assert summary["content_credentials"] == "off" and summary["watermark"] is False
    assert np.array_equal(read_image(plain), image)  # off by default: not a pixel changed
    assert not np.array_equal(read_image(marked), image)
    assert read_digital_source_type(plain.read_bytes()) == DIGITAL_SOURCE_TYPE
    with open(plain, "rb") as stream:
        assert c2pa.Reader.try_create(stream) is None


def transcode_to(path: Path, options: EncodeOptions, frames: int = 12) -> None:
    """The first frames of the Hamilton clip, with its audio, through the export's writer."""
    with VideoReader(HAMILTON) as reader:
        info = reader.info
        end = info.start_time + reader.time_of(frames)
        writer = VideoWriter(
            path, info.width, info.height, info.fps, reader.time_base, options, (HAMILTON, 0.0, end, 0.0)
        )
        for index, image in reader.frames(0, frames):
            writer.write(image, reader.pts_of(index), info.start_time + reader.time_of(index))
        writer.close()


@pytest.mark.parametrize(
    ("name", "options", "signed"),
    [
        ("clip.mp4", EncodeOptions(preset="ultrafast"), True),
        ("clip.mov", EncodeOptions(codec="h265", preset="ultrafast"), True),
        ("prores.mov", EncodeOptions(codec="prores", preset="proxy", audio="none"), True),
        ("clip.mkv", EncodeOptions(preset="ultrafast"), False),
        ("clip.webm", EncodeOptions(codec="vp9", preset="realtime"), False),
    ],
)
def test_every_video_format_carries_its_labels(
    tmp_path: Path, name: str, options: EncodeOptions, signed: bool
) -> None:
    output = tmp_path / name
    temporary = tmp_path / f".{output.stem}.partial{output.suffix}"
    transcode_to(temporary, options)
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cc.os, "replace", spy)
        status = cc.finish_video(temporary, output)
    # Written beside the output under another name, then renamed: never a half-written output.
    ((source, destination),) = replaced
    assert destination == str(output) and Path(source).parent == tmp_path and Path(source) != output
    assert [p.name for p in tmp_path.iterdir()] == [name]

    info = probe_video(output)
    assert is_labelled_synthetic_video(info.metadata), info.metadata
    assert info.frame_count == 12
    with VideoReader(output) as reader:
        assert sum(1 for _ in reader.frames(0, 12)) == 12  # the signed file still decodes throughout
    if signed:
        assert status == "signed"
        state, manifest, _results = read_manifest(output, trusting_context())
        assert state == "Trusted"
        (action,) = created_actions(manifest)
        assert action["digitalSourceType"] == DIGITAL_SOURCE_TYPE
    else:
        assert status.startswith("skipped: not supported for")
        with open(output, "rb") as stream, pytest.raises(c2pa.C2paError):
            c2pa.Reader(stream)


def test_without_the_native_library_exports_keep_their_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cc, "_library_error", [])
    monkeypatch.setitem(sys.modules, "c2pa", None)  # "import c2pa" now raises ImportError
    path = tmp_path / "nolib.webp"
    summary = cc.write_export_image(path, picture())
    assert summary["content_credentials"].startswith("skipped: the C2PA library cannot be loaded here")
    assert "C2PA library cannot be loaded" in caplog.text
    assert read_digital_source_type(path.read_bytes()) == DIGITAL_SOURCE_TYPE
    assert read_image(path).shape == (96, 128, 3)
    monkeypatch.undo()
    with open(path, "rb") as stream:
        assert c2pa.Reader.try_create(stream) is None


def test_a_signing_failure_keeps_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise c2pa.C2paError("simulated signing failure")

    monkeypatch.setattr(cc, "_sign_stream", fail)
    photo = tmp_path / "photo.jpg"
    assert "simulated signing failure" in cc.write_export_image(photo, picture())["content_credentials"]
    assert read_digital_source_type(photo.read_bytes()) == DIGITAL_SOURCE_TYPE
    temporary, video = tmp_path / ".v.partial.mp4", tmp_path / "v.mp4"
    transcode_to(temporary, EncodeOptions(preset="ultrafast", audio="none"), frames=3)
    assert "simulated signing failure" in cc.finish_video(temporary, video)
    assert is_labelled_synthetic_video(probe_video(video).metadata)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "v.mp4"]  # no half-signed copy


def test_the_local_certificate_is_made_once_and_fits_the_c2pa_profile(tmp_path: Path) -> None:
    folder = tmp_path / "identity"
    first = cc.signing_identity(folder)
    assert cc.signing_identity(folder) is first
    assert sorted(p.name for p in folder.iterdir()) == [cc.CA_FILE, cc.CHAIN_FILE, cc.KEY_FILE]
    texts = "".join(p.read_text() for p in folder.iterdir())
    assert texts.count("PRIVATE KEY-----") == 2  # BEGIN/END of the signer's key only: no CA key kept
    if os.name == "posix":
        assert (folder / cc.KEY_FILE).stat().st_mode & 0o077 == 0
    signer, ca = x509.load_pem_x509_certificates(first.chain_pem)
    assert signer.issuer == ca.subject and signer.subject != ca.subject
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert first.algorithm == "es256" and first.self_issued and "PRIVATE" not in repr(first)
    other = cc.signing_identity(tmp_path / "elsewhere")
    assert other.chain_pem != first.chain_pem  # one identity per folder (per user), not a shared one


def test_an_unusable_certificate_is_reported_and_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / cc.CHAIN_FILE).write_text("not a certificate")
    (folder / cc.KEY_FILE).write_text("not a key")
    with pytest.raises(cc.CredentialsUnavailable, match="delete the folder"):
        cc.signing_identity(folder)
    monkeypatch.setenv(cc.CREDENTIALS_DIR_ENV, str(folder))
    path = tmp_path / "still.png"
    assert cc.write_export_image(path, picture())["content_credentials"].startswith("skipped:")
    assert path.is_file() and (folder / cc.CHAIN_FILE).read_text() == "not a certificate"


def test_a_mismatched_key_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mismatch"
    cc.signing_identity(folder)
    _chain, other_key, _ca = cc.make_local_certificates()
    (folder / cc.KEY_FILE).write_bytes(other_key)
    with pytest.raises(cc.CredentialsUnavailable, match="does not belong"):
        cc._load_identity(folder)


def test_the_manifest_definition_is_what_the_docs_say() -> None:
    definition = cc.manifest_definition("image/png", "x.png")
    text = json.dumps(definition)
    assert "c2pa.created" in text and DIGITAL_SOURCE_TYPE in text and "ingredients" not in text


def test_photo_exports_carry_the_mark_only_when_asked(context: Any, media: Path, tmp_path: Path) -> None:
    """Both photo paths, the CLI's ``run_photo_swap`` and the GUI's export job, honour ``watermark``."""
    from faceswap_desktop.app.export import photo_export_job
    from faceswap_desktop.app.jobs import CancelToken
    from faceswap_desktop.app.photo import PhotoSwapRequest, run_photo_swap
    from faceswap_desktop.core.media.watermark import add_watermark, watermark_box

    target = media / "identity/biden/biden2.jpg"
    source = media / "identity/obama/obama.jpg"
    base = PhotoSwapRequest(sources=(source,), target=target, output=tmp_path / "plain.png", judge=None)
    assert base.watermark is False and base.content_credentials is True
    plain = run_photo_swap(context, base)
    marked_request = dataclasses.replace(base, output=tmp_path / "marked.png", watermark=True)
    steps = photo_export_job(context, marked_request)(CancelToken())
    with pytest.raises(StopIteration) as finished:
        while True:
            next(steps)
    marked = finished.value.value
    assert plain.summary["provenance"]["watermark"] is False and marked.summary["provenance"]["watermark"]
    assert plain.summary["provenance"]["content_credentials"] == "signed"
    original, without, with_mark = read_image(target), read_image(plain.output), read_image(marked.output)
    height, width = original.shape[:2]
    x0, y0, x1, y1 = watermark_box(width, height)
    corner = (slice(y0, y1), slice(x0, x1))
    assert np.array_equal(without[corner], original[corner])  # the swap leaves the corner; PNG is lossless
    assert np.array_equal(with_mark, add_watermark(without))  # the mark, and nothing else, differs
    assert not np.array_equal(with_mark[corner], without[corner])


def test_an_interrupted_signing_leaves_no_half_signed_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(source: Path, dest: Path, title: str) -> None:
        dest.write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(cc, "sign_file", interrupted)
    temporary = tmp_path / ".out.partial.mp4"
    temporary.write_bytes(b"finished video")
    with pytest.raises(KeyboardInterrupt):
        cc.finish_video(temporary, tmp_path / "out.mp4")
    # The export job's own clean-up removes its temporary file; nothing else is there.
    assert [p.name for p in tmp_path.iterdir()] == [temporary.name]


def test_prepare_signing_loads_an_existing_identity_and_makes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A video export loads its signing identity while its inputs open (not after its last frame), but
    only one that exists: making one stays with the first signing."""
    folder = (tmp_path / "identity").absolute()
    monkeypatch.setenv(cc.CREDENTIALS_DIR_ENV, str(folder))
    cc.prepare_signing(tmp_path / "out.mp4")
    assert not folder.exists()
    made = cc.signing_identity(folder)
    monkeypatch.setattr(cc, "_identities", {})  # as in a fresh process: on disk, not loaded
    cc.prepare_signing(tmp_path / "out.mkv")  # no manifest for MKV: nothing to prepare
    assert folder not in cc._identities
    cc.prepare_signing(tmp_path / "out.mp4")
    assert cc._identities[folder].chain_pem == made.chain_pem
