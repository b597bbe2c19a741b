"""What a file really is, from its bytes (the name and the client's Content-Type are not
trusted). Binary formats by signature (the `filetype` library); text formats by decoding."""

from __future__ import annotations

from pathlib import PurePath

import filetype

# Receipt formats spendsync accepts, by extension → the media types its bytes may show.
ALLOWED: dict[str, set[str]] = {
    "pdf": {"application/pdf"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "gif": {"image/gif"},
    "tif": {"image/tiff"},
    "tiff": {"image/tiff"},
    "bmp": {"image/bmp"},
    "heic": {"image/heic"},
    "webp": {"image/webp"},
    "docx": {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    },
    "xlsx": {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "doc": {"application/msword", "application/x-ole-storage"},
    "xls": {"application/vnd.ms-excel", "application/x-ole-storage"},
    "zip": {"application/zip"},
    "csv": {"text/csv"},
    "txt": {"text/plain"},
    "eml": {"message/rfc822"},
}
_TEXT_TYPES = {"csv": "text/csv", "txt": "text/plain", "eml": "message/rfc822"}


class RejectedFile(ValueError):
    pass


def sniff(file_name: str, content: bytes) -> str:
    """The media type to store and send; RejectedFile when the bytes do not fit the name."""
    extension = PurePath(file_name).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise RejectedFile(f"Files of type '.{extension}' are not accepted (accepted: {allowed}).")
    if not content:
        raise RejectedFile("The file is empty.")
    if extension in _TEXT_TYPES:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise RejectedFile(f"The file is not the text a .{extension} file holds.") from None
        return _TEXT_TYPES[extension]
    detected: str | None = filetype.guess_mime(content)
    if detected is None or detected not in ALLOWED[extension]:
        seen = detected or "unrecognised content"
        raise RejectedFile(f"The file is named .{extension} but its content is {seen}.")
    if detected in ("application/zip", "application/x-ole-storage"):
        # Office documents are containers: name the document type, not the container.
        return sorted(ALLOWED[extension] - {detected})[0]
    return detected
