"""Synthetic-media labels: XMP ``Iptc4xmpExt:DigitalSourceType`` embedded in every exported image.

The IPTC value ``compositeWithTrainedAlgorithmicMedia`` says the picture is a composite that includes
algorithmically generated content. The packet is written into the container losslessly: a PNG ``iTXt``
chunk, a JPEG APP1 segment, or a WebP ``XMP `` chunk (converting the file to the extended VP8X layout).
"""

from __future__ import annotations

import struct
import zlib

from ... import __version__

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
XMP_NAMESPACE_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"


def synthetic_media_xmp(tool: str = f"faceswap-desktop {__version__}") -> bytes:
    """The XMP packet declaring the image synthetic, naming the tool that made it."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}" xmp:CreatorTool="{tool}"/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def label_png(data: bytes, xmp: bytes) -> bytes:
    """Insert an iTXt ``XML:com.adobe.xmp`` chunk right after IHDR."""
    ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
    payload = b"XML:com.adobe.xmp\x00" + b"\x00\x00" + b"\x00" + b"\x00" + xmp
    return data[:ihdr_end] + _png_chunk(b"iTXt", payload) + data[ihdr_end:]


def label_jpeg(data: bytes, xmp: bytes) -> bytes:
    """Insert an APP1 XMP segment after SOI and any APP0 (JFIF) segment."""
    position = 2
    if data[2:4] == b"\xff\xe0":
        position = 4 + struct.unpack(">H", data[4:6])[0]
    body = XMP_NAMESPACE_JPEG + xmp
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return data[:position] + segment + data[position:]


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def label_webp(data: bytes, xmp: bytes, width: int, height: int) -> bytes:
    """Rewrite a simple WebP (one VP8/VP8L chunk) as extended VP8X with an ``XMP `` chunk."""
    image_chunk = data[12:]
    kind = image_chunk[:4]
    if kind == b"VP8X":
        raise ValueError("already an extended WebP")
    has_alpha = kind == b"VP8L" and bool(image_chunk[8 + 4] >> 4 & 1)
    flags = 0x04 | (0x10 if has_alpha else 0)  # XMP metadata present (+ alpha)
    vp8x = struct.pack("<I", flags) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + _riff_chunk(b"VP8X", vp8x) + image_chunk + _riff_chunk(b"XMP ", xmp)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def label_encoded_image(data: bytes, extension: str, width: int, height: int) -> bytes:
    """The encoded image with the synthetic-media XMP packet added, by container format."""
    xmp = synthetic_media_xmp()
    if extension == ".png":
        return label_png(data, xmp)
    if extension in (".jpg", ".jpeg"):
        return label_jpeg(data, xmp)
    if extension == ".webp":
        return label_webp(data, xmp, width, height)
    raise ValueError(f"no synthetic-media label for {extension}")


def read_digital_source_type(data: bytes) -> str | None:
    """The DigitalSourceType found in a file's XMP, or None (used by tests and the import check)."""
    marker = b'Iptc4xmpExt:DigitalSourceType="'
    start = data.find(marker)
    if start < 0:
        return None
    end = data.find(b'"', start + len(marker))
    return data[start + len(marker) : end].decode("utf-8", "replace")


SYNTHETIC_VIDEO_COMMENT = "synthetic media: face swapped by faceswap-desktop"
VIDEO_SYNTHETIC_TAGS: dict[str, str] = {
    "comment": SYNTHETIC_VIDEO_COMMENT,
    "description": SYNTHETIC_VIDEO_COMMENT,
    "synthetic_media": "compositeWithTrainedAlgorithmicMedia",
    "digital_source_type": DIGITAL_SOURCE_TYPE,
    "encoding_tool": f"faceswap-desktop {__version__}",
}
"""Container metadata of every exported video (MP4/MOV keep custom keys via ``use_metadata_tags``)."""


def is_labelled_synthetic_video(metadata: dict[str, str]) -> bool:
    """True when a video's container metadata carries our synthetic-media tags."""
    lowered = {key.lower(): value for key, value in metadata.items()}
    return lowered.get("synthetic_media") == VIDEO_SYNTHETIC_TAGS["synthetic_media"] or (
        "synthetic media" in lowered.get("comment", "")
    )
