"""C2PA Content Credentials: a signed manifest in every export saying the picture is synthetic.

Each exported JPEG, PNG, WebP, MP4 and MOV gets a C2PA manifest (via ``c2pa-python``, the Content
Authenticity Initiative's library) whose ``c2pa.actions`` assertion holds one ``c2pa.created`` action
with ``digitalSourceType`` = IPTC ``compositeWithTrainedAlgorithmicMedia`` - the same statement as the
XMP label of :mod:`..core.provenance`, but bound to the file's bytes by a hash and a signature, so an
edit after export is detectable. Matroska/WebM have no C2PA binding (the library does not read or write
them); those videos keep the container tags only.

Signing works offline: no timestamp authority, no OCSP. The signing identity is a certificate chain
made once per user on first use (an ECDSA P-256 key, a local CA certificate and an end-entity certificate
with the extensions C2PA requires) and kept in ``<user data dir>/c2pa`` (``FACESWAP_CREDENTIALS_DIR``
overrides the folder). The local CA's private key is thrown away once it has issued the signer, so it
can certify nothing else. Verifiers report such a manifest as valid but not trusted (the CA is in no
trust list); adding ``local-ca.pem`` as a trust anchor makes it "Trusted". A user can put their own
``signer-chain.pem`` / ``signer-key.pem`` (from a CA in the C2PA trust list) there instead.

Everything degrades: without the native library, with an unusable certificate, or when signing fails,
the export is still written with its XMP/container label, the reason is logged, and the export's summary
says why there is no manifest. The order matters: the XMP label is written first, because the C2PA hash
covers the bytes as they are when signed; an XMP edit after signing would invalidate the manifest.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.media.image_io import WRITE_EXTENSIONS, encode_image, with_alpha, write_bytes_atomic
from ..core.media.provenance import DIGITAL_SOURCE_TYPE, label_encoded_image
from ..core.media.safe_files import publish
from ..core.media.watermark import add_watermark
from ..core.types import Image
from ..inference.store import default_data_dir

log = logging.getLogger(__name__)

CREDENTIALS_DIR_ENV = "FACESWAP_CREDENTIALS_DIR"
CHAIN_FILE = "signer-chain.pem"
"""The signer's certificate first, then the certificates that issued it (PEM)."""
KEY_FILE = "signer-key.pem"
"""The signer's private key (PKCS#8 PEM, unencrypted, readable by the user only)."""
CA_FILE = "local-ca.pem"
"""The self-issued root; give it to a verifier as a trust anchor to see the manifest as trusted."""

C2PA_MIME_TYPES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
}
"""Export formats that get a C2PA manifest (MKV/WebM: no C2PA binding exists for Matroska)."""

SELF_ISSUED_ORGANIZATION = "faceswap-desktop (self-issued, unverified)"
CERTIFICATE_YEARS = 10

KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)
"""The arguments of ``cryptography``'s ``KeyUsage`` (it takes every flag explicitly)."""

SIGNED = "signed"
OFF = "off"


class CredentialsUnavailable(Exception):
    """Why no manifest can be made here (library missing, certificate unusable); never user-fatal."""


@dataclass(frozen=True)
class SigningIdentity:
    """A signer's certificate chain and key, as c2pa-python takes them."""

    chain_pem: bytes
    key_pem: bytes = field(repr=False)
    algorithm: str
    """The C2PA signing algorithm for the key type: es256, es384, es512, ps256 or ed25519."""
    folder: Path
    self_issued: bool


def credentials_dir() -> Path:
    """The signing identity's folder: ``$FACESWAP_CREDENTIALS_DIR`` or ``<user data dir>/c2pa``."""
    override = os.environ.get(CREDENTIALS_DIR_ENV, "").strip()
    return Path(override) if override else default_data_dir() / "c2pa"


_library_lock = threading.Lock()
_library_error: list[str | None] = []


def c2pa_unavailable_reason() -> str | None:
    """None when the C2PA library loads here, else why not (checked once per process)."""
    with _library_lock:
        if not _library_error:
            try:
                import c2pa  # noqa: F401  (the import loads the native library)
                import cryptography  # noqa: F401

                _library_error.append(None)
            except Exception as error:  # ImportError, OSError, RuntimeError: any failure to load
                reason = f"the C2PA library cannot be loaded here ({type(error).__name__}: {error})"
                log.warning("%s; exports keep their XMP/container labels only", reason)
                _library_error.append(reason)
        return _library_error[0]


# -- the signing identity ----------------------------------------------------------------------------

_identity_lock = threading.Lock()
_identities: dict[Path, SigningIdentity] = {}


def signing_identity(folder: Path | None = None) -> SigningIdentity:
    """The identity in ``folder`` (default :func:`credentials_dir`), made on first use; cached.

    Raises :class:`CredentialsUnavailable` when the library is missing or the folder's files are
    unusable (they are never overwritten: the message says to delete the folder to start afresh).
    """
    reason = c2pa_unavailable_reason()
    if reason is not None:
        raise CredentialsUnavailable(reason)
    folder = (folder or credentials_dir()).absolute()
    with _identity_lock:
        if folder not in _identities:
            if not (folder / CHAIN_FILE).is_file():
                _create_identity(folder)
            _identities[folder] = _load_identity(folder)
        return _identities[folder]


def prepare_signing(output: Path) -> None:
    """Load the C2PA library and an existing signing identity now, so that a long job (a video export)
    does it while it waits anyway (its encoder draining) rather than on the way to the signing (~40-60 ms
    on a quiet machine, the imports and the certificate checks). Makes no identity (signing does, on
    first use) and never raises: :func:`finish_video` reports whatever is wrong when it signs."""
    if _format_status(output.suffix) is not None or not (credentials_dir() / CHAIN_FILE).is_file():
        return
    with contextlib.suppress(Exception):
        signing_identity()


def _load_identity(folder: Path) -> SigningIdentity:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        chain_pem, key_pem = (folder / CHAIN_FILE).read_bytes(), (folder / KEY_FILE).read_bytes()
        chain = x509.load_pem_x509_certificates(chain_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CredentialsUnavailable(
            f"the signing certificate in {folder} is unreadable ({error}); "
            "delete the folder to make a new one"
        ) from None
    signer = chain[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if signer.public_key().public_bytes(serialization.Encoding.DER, public) != key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise CredentialsUnavailable(f"{KEY_FILE} does not belong to {CHAIN_FILE} in {folder}")
    if signer.not_valid_after_utc <= datetime.datetime.now(datetime.timezone.utc):
        raise CredentialsUnavailable(
            f"the signing certificate in {folder} expired on {signer.not_valid_after_utc:%Y-%m-%d}; "
            "delete the folder to make a new one"
        )
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(key.curve.name)
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = "ed25519"
    else:
        algorithm = None
    if algorithm is None:
        raise CredentialsUnavailable(f"the key in {folder} is of a type C2PA does not sign with")
    organizations = signer.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    self_issued = any(attribute.value == SELF_ISSUED_ORGANIZATION for attribute in organizations)
    return SigningIdentity(chain_pem, key_pem, algorithm, folder, self_issued)


def make_local_certificates() -> tuple[bytes, bytes, bytes]:
    """A fresh (signer chain PEM, signer key PEM, CA certificate PEM) meeting the C2PA profile.

    C2PA accepts no self-signed signer, so a one-off CA issues it: the signer has a critical
    digitalSignature key usage, the emailProtection extended key usage, and key identifiers linking it
    to the CA. The CA's private key exists only inside this function.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=365 * CERTIFICATE_YEARS)
    # A random suffix keeps two installations' names apart without naming the user or the machine.
    tag = secrets.token_hex(4)

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} {tag}"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, SELF_ISSUED_ORGANIZATION),
            ]
        )

    def usage(**flags: bool) -> x509.KeyUsage:
        return x509.KeyUsage(**{field: flags.get(field, False) for field in KEY_USAGE_FIELDS})

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("faceswap-desktop local CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("faceswap-desktop signer"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(authority, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signer.public_bytes(pem) + ca_pem, key_pem, ca_pem


def _create_identity(folder: Path) -> None:
    """Write a new identity; a new folder appears complete or not at all (made aside, then renamed)."""
    chain_pem, key_pem, ca_pem = make_local_certificates()
    files = {KEY_FILE: key_pem, CA_FILE: ca_pem, CHAIN_FILE: chain_pem}  # the chain last: it marks "done"
    if folder.is_dir():  # an existing (e.g. empty, user-made) folder: fill it in place
        for file_name, data in files.items():
            write_bytes_atomic(folder / file_name, data, private=True)  # owner-only: it holds the key
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))  # 0700
    try:
        for file_name, data in files.items():
            write_bytes_atomic(staging / file_name, data, private=True)
        try:
            os.rename(staging, folder)
        except OSError:
            if not (folder / CHAIN_FILE).is_file():  # not another process winning the race: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("made a local C2PA signing certificate in %s", folder)


# -- manifests ---------------------------------------------------------------------------------------


def manifest_definition(mime_type: str, title: str) -> dict[str, Any]:
    """The manifest: one ``c2pa.created`` action whose digital source type says "synthetic composite".

    ``c2pa.created`` rather than ``c2pa.edited`` with the target photo as parent ingredient: an
    ingredient would carry the input's name, and a thumbnail of it, into every export.
    """
    agent = {"name": "faceswap-desktop", "version": __version__}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": mime_type,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": agent,
                            "description": "faces replaced by a face-swap model",
                        }
                    ]
                },
            }
        ],
    }


def _sign_stream(source: Any, dest: Any, mime_type: str, title: str, identity: SigningIdentity) -> None:
    import c2pa

    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.algorithm.encode(), identity.chain_pem, identity.key_pem, None)
    )
    # No thumbnail: it would be a second, unlabelled copy of the picture inside the manifest.
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with signer, context, c2pa.Builder(manifest_definition(mime_type, title), context=context) as builder:
        builder.sign(signer, mime_type, source, dest)


def _format_status(extension: str) -> str | None:
    """None when ``extension`` gets a manifest here, else why not."""
    if extension.lower() not in C2PA_MIME_TYPES:
        return f"not supported for {extension} (C2PA defines no embedding for it; container tags only)"
    return c2pa_unavailable_reason()


def sign_image_bytes(
    data: bytes, extension: str, title: str, identity: SigningIdentity | None = None
) -> bytes:
    """The encoded image with a C2PA manifest embedded (raises ``c2pa.C2paError`` or
    :class:`CredentialsUnavailable`)."""
    reason = _format_status(extension)
    if reason is not None:
        raise CredentialsUnavailable(reason)
    identity = identity or signing_identity()
    dest = io.BytesIO()
    _sign_stream(io.BytesIO(data), dest, C2PA_MIME_TYPES[extension.lower()], title, identity)
    return dest.getvalue()


def sign_file(source: Path, dest: Path, title: str, identity: SigningIdentity | None = None) -> None:
    """Write ``source`` with a C2PA manifest to ``dest`` (streamed: videos are not held in memory)."""
    reason = _format_status(source.suffix)
    if reason is not None:
        raise CredentialsUnavailable(reason)
    identity = identity or signing_identity()
    with open(source, "rb") as reader, open(dest, "w+b") as writer:
        _sign_stream(reader, writer, C2PA_MIME_TYPES[source.suffix.lower()], title, identity)


def _failure(error: Exception, name: str) -> str:
    status = f"skipped: {error}"
    log.warning("no C2PA manifest in %s: %s (the XMP/container label is still written)", name, error)
    return status


# -- export writers ----------------------------------------------------------------------------------


def write_export_image(
    path: str | os.PathLike[str],
    image: Image,
    watermark: bool = False,
    content_credentials: bool = True,
    alpha: Image | None = None,
    overwrite: bool = True,
) -> dict[str, Any]:
    """Write an exported photo: optional visible mark, XMP label, then C2PA manifest; atomically.

    ``alpha`` (the target's, H x W uint8) is put back on PNG outputs. Without ``overwrite`` a file that
    appeared at ``path`` meanwhile is not replaced (:class:`~..core.errors.OutputConflict`).
    Returns the provenance summary (``xmp_digital_source_type``, ``content_credentials``: "signed",
    "off" or why not, ``watermark``).
    """
    target = Path(path)
    extension = target.suffix.lower()
    if watermark:
        image = add_watermark(image)
    image = with_alpha(image, alpha, extension)
    data = encode_image(image, extension)
    # XMP before C2PA: the manifest's hash covers the bytes as signed, XMP included.
    data = label_encoded_image(data, WRITE_EXTENSIONS[extension], image.shape[1], image.shape[0])
    return {**publish_labelled_image(target, data, content_credentials, overwrite), "watermark": watermark}


def publish_labelled_image(
    target: Path, data: bytes, content_credentials: bool = True, overwrite: bool = True
) -> dict[str, Any]:
    """Sign an encoded, already XMP-labelled photo (when asked) and write it atomically: the end of
    :func:`write_export_image`, also used for photos a batch worker rendered (``app/batch_run.py``)."""
    status = OFF
    if content_credentials:
        try:
            data = sign_image_bytes(data, target.suffix.lower(), target.name)
            status = SIGNED
        except Exception as error:  # library or certificate trouble must not lose the export
            status = _failure(error, target.name)
    write_bytes_atomic(target, data, overwrite=overwrite)
    return {"xmp_digital_source_type": DIGITAL_SOURCE_TYPE, "content_credentials": status}


def finish_video(
    temporary: Path, output: Path, content_credentials: bool = True, overwrite: bool = True
) -> str:
    """Move a finished video from ``temporary`` to ``output``, signed on the way where possible.

    The signed copy is written beside the output under another temporary name and renamed over
    ``output`` only when complete; ``temporary`` is gone afterwards. Without ``overwrite`` an output
    that appeared meanwhile is not replaced (:class:`~..core.errors.OutputConflict`; the caller removes
    ``temporary``). Returns the manifest status.
    """
    if not content_credentials:
        publish(temporary, output, overwrite)
        return OFF
    if output.suffix.lower() not in C2PA_MIME_TYPES:  # expected for MKV/WebM: no warning
        publish(temporary, output, overwrite)
        return f"skipped: {_format_status(output.suffix)}"
    signed = temporary.with_name(f".{output.stem}.{secrets.token_hex(4)}.signed{output.suffix}")
    renamed = False
    try:
        try:
            sign_file(temporary, signed, output.name)
        except Exception as error:  # library or certificate trouble must not lose the export
            status = _failure(error, output.name)
            publish(temporary, output, overwrite)
            return status
        publish(signed, output, overwrite)
        renamed = True
    finally:
        if not renamed:  # failed, or interrupted (Ctrl-C): no half-signed copy is left behind
            with contextlib.suppress(OSError):
                signed.unlink()
    with contextlib.suppress(OSError):
        temporary.unlink()
    return SIGNED
