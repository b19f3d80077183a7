"""Checking and decoding `attachment_files`, and measuring images, without Pillow: the images are
built byte by byte here."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from inboxd.domain.attachments import (
    MAX_FILE_BYTES,
    MAX_FILES,
    NewAttachment,
    essence,
    prepare,
    shown_inline,
)
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def gif(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b"\x3b"


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    # VP8X: flags, reserved, then canvas width-1 and height-1 as 24-bit little-endian numbers.
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def file(name: str = "notes.txt", content_type: str = "text/plain", data: bytes = b"hello") -> dict[str, str]:
    return {"name": name, "content_type": content_type, "data": b64(data)}


def problem(files: object, field: str = "attachment_files") -> tuple[str, str, str | None]:
    with pytest.raises((ParameterInvalid, ParameterNotFound)) as caught:
        prepare(files, field)  # type: ignore[arg-type]
    return type(caught.value).__name__, caught.value.code, caught.value.field


def test_a_file_is_decoded_and_kept_with_its_name_and_type():
    [attachment] = prepare([file("report.json", "application/json", b'{"test": 1}')])
    assert attachment == NewAttachment("report.json", "application/json", b'{"test": 1}', None, None)
    assert attachment.filesize == 11


def test_the_spec_example_is_accepted():
    [attachment] = prepare([{"content_type": "application/json", "data": "ewogICJ0ZXN0IjogMQp9", "name": "test.json"}])
    assert attachment.data == b'{\n  "test": 1\n}'


def test_no_files_is_no_attachments():
    assert prepare([]) == []


@pytest.mark.parametrize(
    ("data", "content_type", "size"),
    [
        (png(3, 2), "image/png", (3, 2)),
        (png(1, 1), "image/png", (1, 1)),
        (gif(5, 7), "image/gif", (5, 7)),
        (jpeg(640, 480), "image/jpeg", (640, 480)),
        (webp(300, 200), "image/webp", (300, 200)),
        (png(4, 9), "IMAGE/PNG; name=x", (4, 9)),
    ],
)
def test_images_are_measured(data, content_type, size):
    [attachment] = prepare([file("picture", content_type, data)])
    assert (attachment.width, attachment.height) == size


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (png(3, 2), "application/octet-stream"),  # not declared an image
        (b"not an image at all", "image/png"),  # unreadable
        (b"\x89PNG\r\n\x1a\n", "image/png"),  # truncated
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image/svg+xml"),
    ],
)
def test_files_that_are_not_readable_images_have_no_size(data, content_type):
    [attachment] = prepare([file("picture", content_type, data)])
    assert (attachment.width, attachment.height) == (None, None)


def test_errors_name_the_field_of_the_file():
    files = [file(), file(), file(name="../etc/passwd")]
    assert problem(files) == ("ParameterInvalid", "parameter_invalid", "attachment_files.2.name")
    assert problem([file(name="a/b")], "files")[2] == "files.0.name"


@pytest.mark.parametrize("key", ["name", "content_type", "data"])
def test_each_key_is_required(key):
    item = file()
    del item[key]
    assert problem([item]) == ("ParameterNotFound", "parameter_not_found", f"attachment_files.0.{key}")
    assert problem([{**file(), key: None}])[0] == "ParameterNotFound"


@pytest.mark.parametrize("key", ["name", "content_type", "data"])
def test_each_key_must_be_a_string(key):
    assert problem([{**file(), key: 12}]) == ("ParameterInvalid", "parameter_invalid", f"attachment_files.0.{key}")


@pytest.mark.parametrize("files", [{"name": "x"}, "files", None])
def test_the_files_must_be_a_list(files):
    assert problem(files)[2] == "attachment_files"


@pytest.mark.parametrize("item", ["file", 3, None, ["a"]])
def test_each_file_must_be_an_object(item):
    assert problem([file(), item])[2] == "attachment_files.1"


def test_at_most_ten_files():
    assert len(prepare([file()] * MAX_FILES)) == MAX_FILES
    assert problem([file()] * (MAX_FILES + 1)) == ("ParameterInvalid", "parameter_invalid", "attachment_files")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "aGVsbG8",  # padding missing
        "aGVs bG8=",  # a space
        "aGVsbG8=!",
        "aGVs*G8=",
        "aGVsbG8-",  # URL-safe alphabet
        "aG=VsbG8",  # padding in the middle
        "aGVsbG9=",  # non-zero unused bits: not the canonical spelling of any file
        "data:text/plain;base64,aGVsbG8=",
        "héllo===",
    ],
)
def test_data_must_be_strict_base64(data):
    assert problem([{**file(), "data": data}]) == ("ParameterInvalid", "parameter_invalid", "attachment_files.0.data")


def test_line_breaks_in_base64_are_tolerated():
    wrapped = "aGVs\nbG8g\r\nd29y\nbGQ=\n"
    assert prepare([{**file(), "data": wrapped}])[0].data == b"hello world"


def test_files_over_the_size_limit_are_refused():
    assert len(prepare([file(data=b"x" * MAX_FILE_BYTES)])[0].data) == MAX_FILE_BYTES
    assert problem([file(data=b"x" * (MAX_FILE_BYTES + 1))])[2] == "attachment_files.0.data"


@pytest.mark.parametrize(
    "name",
    ["", "   ", "a/b", "a\\b", ".", "..", "bad\x00name", "line\nbreak", "tab\tname", "x" * 256],
)
def test_bad_names_are_refused(name):
    assert problem([file(name=name)])[2] == "attachment_files.0.name"


@pytest.mark.parametrize("name", ["report.pdf", "x" * 255, "résumé final (2).docx", "файл.txt", ".hidden", "a..b"])
def test_ordinary_names_are_kept_as_given(name):
    assert prepare([file(name=name)])[0].name == name


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text",
        "text/",
        "/plain",
        "text/plain/x",
        "text plain",
        "text/plain;",
        "text/pl ain",
        "a/b\r\nX-Evil: 1",
        "text/plain; charset",
        "x/" + "y" * 300,
        'text/plain; name="日本"',
        'text/plain; name="a\x01"',
    ],
)
def test_content_types_must_be_media_types(content_type):
    assert problem([file(content_type=content_type)])[2] == "attachment_files.0.content_type"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/vnd.ms-excel",
        "text/plain; charset=utf-8",
        'text/plain;charset="utf-8"',
        'text/plain; name="a \\"b\\" c"',
        "image/svg+xml",
    ],
)
def test_media_types_are_accepted(content_type):
    assert prepare([file(content_type=content_type)])[0].content_type == content_type


def test_surrounding_blanks_of_the_content_type_are_dropped():
    assert prepare([file(content_type=" text/csv ")])[0].content_type == "text/csv"


def test_only_raster_images_are_shown_inline():
    assert essence("Image/PNG; x=y") == "image/png"
    assert shown_inline("image/png") and shown_inline("IMAGE/JPEG") and shown_inline("image/webp; q=1")
    assert not shown_inline("image/svg+xml")
    assert not shown_inline("text/html")
    assert not shown_inline("application/pdf")
