"""Generation settings embedded in the image files themselves, and read back from them.

PNG: a `parameters` text chunk laid out like AUTOMATIC1111's (readable by the tools that read
those) and an `imagegen` chunk holding JSON. JPEG and WebP: the same JSON inside an XMP packet.
Chunks are spliced into the encoded bytes, never re-encoded, so the pixels stay exactly as the
provider sent them. Readers parse container headers only, which keeps history import fast.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import struct
import zlib
from pathlib import Path
from typing import Any
from html import escape

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JSON_KEY = "imagegen"
PARAMETERS_KEY = "parameters"
SHEET_KIND = "contact-sheet"  # the `kind` of a sweep's contact sheet: no generation, never imported as one
XMP_NS = "https://github.com/imagegen-tui/ns/1.0/"
_XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
_JPEG_SEGMENT_MAX = 65533  # payload bytes after the 2-byte length
_EXT_CHUNK = 65000

PARAMETER_LABELS = (
    ("model", "Model"),
    ("size", "Size"),
    ("quality", "Quality"),
    ("n", "Images"),
    ("background", "Background"),
    ("output_format", "Format"),
    ("output_compression", "Compression"),
    ("moderation", "Moderation"),
)


# our extras under the names AUTOMATIC1111 writes, which other tools read (the rest keep ours)
A1111_EXTRAS = (("steps", "Steps"), ("guidance", "CFG scale"), ("seed", "Seed"))


class MetadataError(ValueError):
    pass


def parameters_text(meta: dict[str, Any]) -> str:
    """AUTOMATIC1111 style: the prompt, a `Negative prompt:` line when there is one, then one
    line of `Key: value` pairs, the extras first under A1111's names (Steps, CFG scale, Seed).
    When a format was asked for, `Format` is the file's own (`format`, read from its bytes): a
    provider may ignore output_format, and a reader of this line has the file, not the request."""
    params = dict(meta.get("params", {}))
    if params.get("output_format") and meta.get("format"):
        params["output_format"] = meta["format"]
    extra = dict(params.get("extra") or {})
    negative = extra.pop("negative", None)
    pairs = [f"{label}: {_quoted(extra.pop(key))}" for key, label in A1111_EXTRAS if key in extra]
    pairs += [f"{label}: {params[key]}" for key, label in PARAMETER_LABELS if params.get(key) is not None]
    pairs += [f"{key}: {_quoted(value)}" for key, value in extra.items()]
    if meta.get("styles"):
        pairs.append(f"Styles: {' + '.join(meta['styles'])}")
    pairs += [f"{label}: {meta[key]}" for key, label in (("profile", "Profile"), ("provider", "Provider")) if meta.get(key)]
    if meta.get("request_id"):
        pairs.append(f"Request id: {meta['request_id']}")
    lines = [meta.get("prompt", ""), *([f"Negative prompt: {negative}"] if negative else []), ", ".join(pairs)]
    return "\n".join(lines)


def _quoted(value: Any) -> str:
    """A value as A1111 writes one: bare, or JSON-quoted when it holds a comma, colon or line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ",:\n") else text


def embed(data: bytes, fmt: str, meta: dict[str, Any]) -> bytes:
    """Our settings spliced into the file. A PNG whose server wrote its own A1111 `parameters`
    (text-generation-webui) keeps that one: it tells what was really drawn (the seed a -1 drew
    with), and two would leave readers to pick; our JSON chunk holds what was asked."""
    payload = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    if fmt == "png":
        own = {} if PARAMETERS_KEY in _png_texts(data) else {PARAMETERS_KEY: parameters_text(meta)}
        return _png_embed(data, {**own, JSON_KEY: payload})
    if fmt == "jpeg":
        return _jpeg_embed(data, payload)
    if fmt == "webp":
        return _webp_embed(data, payload)
    return data  # gif and others: no standard place; the history store still has it all


def embed_png_json(data: bytes, meta: dict[str, Any]) -> bytes:
    """Only our JSON chunk, for a PNG that is no generation (a contact sheet): an A1111-style
    `parameters` text would make other tools take it for one."""
    return _png_embed(data, {JSON_KEY: json.dumps(meta, ensure_ascii=False, separators=(",", ":"))})


def read_metadata(path: Path) -> dict[str, Any] | None:
    """Our JSON from a file we wrote; None for a file without it. MetadataError when ours is
    there but damaged."""
    with open(path, "rb") as handle:
        try:  # mapped, so only the pages the parsers touch are read, not whole images
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            return None
    with data:
        return _parse_metadata(path, data)


def _parse_metadata(path: Path, data: mmap.mmap) -> dict[str, Any] | None:
    head = data[:16]
    if head.startswith(PNG_SIGNATURE):
        text = _png_texts(data).get(JSON_KEY)
    elif head.startswith(b"\xff\xd8"):
        text = _jpeg_xmp_json(data)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        text = _xmp_json(_webp_chunk(data, b"XMP "))
    else:
        return None
    if text is None:
        return None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError:
        raise MetadataError(f"{path.name}: the embedded settings are damaged") from None
    if not isinstance(meta, dict) or meta.get("app") != "imagegen-tui":
        raise MetadataError(f"{path.name}: the embedded settings are not imagegen-tui's")
    return meta


# --- PNG --------------------------------------------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_text_chunk(key: str, text: str) -> bytes:
    try:
        return png_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt: keyword, null, compression flag, method, language tag, null, translated keyword, null
        return png_chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8"))


def _png_embed(data: bytes, texts: dict[str, str]) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise MetadataError("not a PNG")
    ihdr_end = 8 + 12 + struct.unpack(">I", data[8:12])[0]
    chunks = b"".join(_png_text_chunk(key, text) for key, text in texts.items())
    return data[:ihdr_end] + chunks + data[ihdr_end:]


def embed_png_texts(data: bytes, texts: dict[str, str]) -> bytes:
    """Text chunks of one's own spliced into a PNG, as a server that writes its settings into its
    pictures does (the demo's text-generation-webui writes A1111's `parameters`)."""
    return _png_embed(data, texts)


def _png_texts(data: bytes) -> dict[str, str]:
    texts: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind in (b"IDAT", b"IEND"):
            break
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _translated, _, value = rest.partition(b"\x00")
            if compressed:
                value = zlib.decompress(value)
            texts[key.decode("latin-1")] = value.decode("utf-8", "replace")
        pos += 12 + length
    return texts


# --- XMP (JPEG, WebP) -------------------------------------------------------------------------


def _xmp_packet(payload: str, extended_guid: str | None = None) -> bytes:
    note = f' xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="{extended_guid}"' if extended_guid else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:imagegen="{XMP_NS}"{note}>'
        f"<imagegen:settings>{escape(payload, quote=False)}</imagegen:settings>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def _xmp_json(packet: bytes | None) -> str | None:
    if not packet:
        return None
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(packet.decode("utf-8", "replace").split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    except (ElementTree.ParseError, IndexError):
        raise MetadataError("the embedded XMP is damaged") from None
    node = root.find(f".//{{{XMP_NS}}}settings")
    return node.text if node is not None else None


def _jpeg_embed(data: bytes, payload: str) -> bytes:
    """XMP in APP1 right after SOI; a packet over one segment's 64 KB goes into Adobe's
    extended-XMP segments (a 32 000-character prompt of emoji can reach that)."""
    if not data.startswith(b"\xff\xd8"):
        raise MetadataError("not a JPEG")
    packet = _xmp_packet(payload)
    if len(_XMP_ID) + len(packet) <= _JPEG_SEGMENT_MAX:
        segments = [_XMP_ID + packet]
    else:
        guid = hashlib.md5(packet).hexdigest().upper().encode("ascii")
        stub = _xmp_packet(json.dumps({"extended_xmp": guid.decode()}), extended_guid=guid.decode())
        segments = [_XMP_ID + stub]
        for offset in range(0, len(packet), _EXT_CHUNK):
            segments.append(_XMP_EXT_ID + guid + struct.pack(">II", len(packet), offset) + packet[offset : offset + _EXT_CHUNK])
    app1 = b"".join(b"\xff\xe1" + struct.pack(">H", len(s) + 2) + s for s in segments)
    return data[:2] + app1 + data[2:]


def _jpeg_xmp_json(data: bytes) -> str | None:
    main: bytes | None = None
    parts: dict[int, bytes] = {}
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        body = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and body.startswith(_XMP_ID):
            main = body[len(_XMP_ID) :]
        elif marker == 0xE1 and body.startswith(_XMP_EXT_ID):
            rest = body[len(_XMP_EXT_ID) + 32 :]
            offset = struct.unpack(">I", rest[4:8])[0]
            parts[offset] = rest[8:]
        pos += 2 + length
    text = _xmp_json(main)
    if text and parts and '"extended_xmp"' in text:
        return _xmp_json(b"".join(parts[offset] for offset in sorted(parts)))
    return text


def _webp_chunk(data: bytes | mmap.mmap, wanted: bytes) -> bytes | None:
    """The body of the first chunk of one kind; other chunks (the image) are skipped, not copied."""
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if kind == wanted:
            return data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return None


def _webp_embed(data: bytes, payload: str) -> bytes:
    """Add an `XMP ` chunk; a simple (VP8/VP8L) file is first promoted to the extended VP8X
    layout, which is the only one allowed to carry metadata."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MetadataError("not a WebP")
    body = data[12:]
    first = body[:4]
    xmp = _xmp_packet(payload)
    xmp_chunk = b"XMP " + struct.pack("<I", len(xmp)) + xmp + (b"\x00" if len(xmp) & 1 else b"")
    if first == b"VP8X":
        flags = body[8] | 0x04
        body = body[:8] + bytes([flags]) + body[9:] + xmp_chunk
    else:
        width, height, alpha = _webp_simple_info(body)
        flags = 0x04 | (0x10 if alpha else 0)
        vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([flags, 0, 0, 0])
        vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        body = vp8x + body + xmp_chunk
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _webp_simple_info(body: bytes) -> tuple[int, int, bool]:
    kind, payload = body[:4], body[8:]
    if kind == b"VP8L":
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    if kind == b"VP8 ":
        width = int.from_bytes(payload[6:8], "little") & 0x3FFF
        height = int.from_bytes(payload[8:10], "little") & 0x3FFF
        return width, height, False
    raise MetadataError("unrecognised WebP layout")
