"""Downloads verify TLS with the system's CA certificates even from a bundle built on another distro."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from faceswap_desktop.inference import download


def _ca_bundle(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _defaults(cafile: str | None, capath: str | None) -> ssl.DefaultVerifyPaths:
    return ssl.DefaultVerifyPaths(cafile, capath, "SSL_CERT_FILE", "", "SSL_CERT_DIR", "")


def test_a_missing_openssl_folder_falls_back_to_the_distribution_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _ca_bundle(tmp_path / "ca-bundle.crt")
    # As on Fedora with OpenSSL built on Debian: /usr/lib/ssl does not exist there.
    monkeypatch.setattr(download.ssl, "get_default_verify_paths", lambda: _defaults(None, None))
    before = ssl.create_default_context().cert_store_stats()["x509_ca"]  # whatever this machine loads
    context = download.tls_context((str(tmp_path / "absent.pem"), str(bundle)))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == before + 1


def test_working_defaults_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _ca_bundle(tmp_path / "ca-bundle.crt")
    monkeypatch.setattr(download.ssl, "get_default_verify_paths", lambda: _defaults(None, str(tmp_path)))
    before = ssl.create_default_context().cert_store_stats()["x509_ca"]
    context = download.tls_context((str(bundle),))
    assert context.cert_store_stats()["x509_ca"] == before  # not loaded: OpenSSL's own folder exists
