"""Attachments: given by URL (`attachment_urls`, named after the URL's last path segment), or as
files sent with a reply (`attachment_files`, spec schema `conversation_attachment_files`), checked
and decoded here, before anything is stored.

Each file is ``{content_type, data, name}`` with ``data`` in base64. The spec allows ten per request
(`maxItems: 10`); the size limit is ours (docs/decisions.md, "Attachments").
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import re
from dataclasses import dataclass
from typing import Any

import imagesize  # type: ignore[import-untyped]  # ships no py.typed marker

from inboxd.domain.errors import ParameterInvalid, ParameterNotFound

MAX_ATTACHMENT_URLS = 10

MAX_FILES = 10
# 3 MiB decoded is 4 MiB of base64, the whole request body limit (api/http.py MAX_BODY_BYTES): in
# practice the body limit binds first; this one keeps the rule when files reach us another way.
MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_NAME = 255
MAX_CONTENT_TYPE = 255

_MAX_ENCODED = 4 * -(-MAX_FILE_BYTES // 3)  # base64 length of the largest allowed file

# RFC 9110 media type: token "/" token, then optional `; name=value` parameters (value a token or a
# quoted string). Anything else could not be sent back verbatim as a Content-Type header.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'  # printable ASCII: headers are Latin-1
_CONTENT_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Raster formats a browser shows by itself: served inline and measured. SVG is deliberately absent:
# it is a document that can run script, so it is downloaded, never shown from our origin.
INLINE_IMAGE_TYPES = frozenset(["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"])

# The magic numbers of those formats. imagesize guesses the format from the bytes, not from the
# declared type, and also reads SVG (an XML parser) and others: we hand it only what we know.
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"GIF87a", b"GIF89a", b"BM")

# What a part keeps of a stored file (never the URL, which depends on the host a client used).
STORED_KEYS = ("token", "name", "content_type", "filesize", "width", "height")


@dataclass(frozen=True)
class NewAttachment:
    name: str
    content_type: str
    data: bytes
    width: int | None
    height: int | None

    @property
    def filesize(self) -> int:
        return len(self.data)


def essence(content_type: str) -> str:
    """``type/subtype`` in lower case, without parameters: what rules about a content type look at."""
    return content_type.split(";", 1)[0].strip().lower()


def shown_inline(content_type: str) -> bool:
    return essence(content_type) in INLINE_IMAGE_TYPES


def prepare(files: list[dict[str, Any]], field: str = "attachment_files") -> list[NewAttachment]:
    """Check and decode the files of one request; the first problem becomes an Intercom error that
    names the offending field (``attachment_files.2.data``)."""
    if not isinstance(files, list):
        raise ParameterInvalid(f"{field} must be an array", field=field)
    if len(files) > MAX_FILES:
        raise ParameterInvalid(f"{field} has too many items; at most {MAX_FILES} are allowed", field=field)
    return [_prepare_one(item, f"{field}.{index}") for index, item in enumerate(files)]


def _prepare_one(item: Any, field: str) -> NewAttachment:
    if not isinstance(item, dict):
        raise ParameterInvalid(f"{field} must be an object", field=field)
    name = _name(_string(item, field, "name"), f"{field}.name")
    content_type = _content_type(_string(item, field, "content_type"), f"{field}.content_type")
    data = _decode(_string(item, field, "data"), f"{field}.data")
    width, height = _dimensions(content_type, data)
    return NewAttachment(name=name, content_type=content_type, data=data, width=width, height=height)


def _string(item: dict[str, Any], field: str, key: str) -> str:
    value = item.get(key)
    if value is None:
        raise ParameterNotFound(f"{field}.{key} is a required parameter", field=f"{field}.{key}")
    if not isinstance(value, str):
        raise ParameterInvalid(f"{field}.{key} must be a string", field=f"{field}.{key}")
    return value


def _name(name: str, field: str) -> str:
    # The name is the last segment of the file's URL and the filename a browser saves it under:
    # no directories, no control characters (they would break the Content-Disposition header).
    if not name.strip():
        raise ParameterInvalid(f"{field} must not be blank", field=field)
    if len(name) > MAX_NAME:
        raise ParameterInvalid(f"{field} is longer than {MAX_NAME} characters", field=field)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ParameterInvalid(f"{field} must be a file name, not a path", field=field)
    if _CONTROL.search(name):
        raise ParameterInvalid(f"{field} must not contain control characters", field=field)
    return name


def _content_type(value: str, field: str) -> str:
    value = value.strip()
    if len(value) > MAX_CONTENT_TYPE or not _CONTENT_TYPE.fullmatch(value):
        raise ParameterInvalid(f"{field} must be a media type such as image/png", field=field)
    return value


def _decode(text: str, field: str) -> bytes:
    # Standard base64 with padding. Line breaks are tolerated (RFC 2045 encoders such as Ruby's
    # Base64.encode64 insert them); anything else outside the alphabet is refused, not skipped.
    compact = text.replace("\r", "").replace("\n", "")
    if len(compact) > _MAX_ENCODED:
        raise ParameterInvalid(f"{field} is larger than {MAX_FILE_BYTES} bytes once decoded", field=field)
    if not compact:
        raise ParameterInvalid(f"{field} must not be empty", field=field)
    invalid = ParameterInvalid(f"{field} must be base64-encoded", field=field)
    if len(compact) % 4 or not _BASE64.fullmatch(compact):
        raise invalid
    try:
        data = base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise invalid from None
    # Unused low bits must be zero ("QR==" is not "QQ=="): one file, one spelling.
    if base64.b64encode(data).decode("ascii") != compact:
        raise invalid
    if len(data) > MAX_FILE_BYTES:
        raise ParameterInvalid(f"{field} is larger than {MAX_FILE_BYTES} bytes once decoded", field=field)
    return data


def _dimensions(content_type: str, data: bytes) -> tuple[int | None, int | None]:
    """Width and height in pixels for images of a format we know, else (None, None)."""
    if not essence(content_type).startswith("image/"):
        return None, None
    if not (data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")):
        return None, None
    # A BytesIO, never the bytes themselves: imagesize takes bytes for a file *path*.
    size = imagesize.get(io.BytesIO(data))
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        return None, None
    return width, height


def url_attachments(urls: list[str]) -> tuple[dict[str, Any], ...]:
    if len(urls) > MAX_ATTACHMENT_URLS:
        raise ParameterInvalid(
            f"attachment_urls has {len(urls)} items; at most {MAX_ATTACHMENT_URLS} are allowed",
            field="attachment_urls",
        )
    return tuple(url_attachment(url) for url in urls)


def url_attachment(url: str) -> dict[str, Any]:
    """An attachment given by URL: Intercom names it after the last path segment."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or url
    guessed, _ = mimetypes.guess_type(name)
    return {"type": "upload", "name": name, "url": url, "content_type": guessed or "application/octet-stream"}
