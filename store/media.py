"""Photos from the officers' phones (现场照片): checked by their bytes, stored once under a content-hash name.

A photo is accepted when its *content* is a JPEG, PNG or WebP image (the magic bytes at its start — the
file name and the type the browser claims are not trusted) and it is at most ``max_bytes`` long. It is
stored as ``<sha256 of the bytes>.<jpg|png|webp>`` under the media folder (two-letter sub-folders keep a
folder small), so the same photo sent twice is one file, and a name says nothing a user typed: no path,
no ``..``, nothing to escape the folder with. Writing goes through a temporary file and a rename, so a
reader never sees half a photo.

Settings (environment): ``MEDIA_DIR`` — the folder (default ``data/media`` of this checkout, git-ignored;
a relative path is taken from the checkout's root); ``MEDIA_MAX_BYTES`` — the largest photo accepted
(default 8 MiB).

>>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
'png'
>>> sniff(b"GIF89a") is None
True
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / "data" / "media"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
CONTENT_TYPES: Mapping[str, str] = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
"""The kinds of photo kept, by the extension their stored name gets."""
NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|webp)")
"""A stored photo's name: the SHA-256 of its bytes and its kind. Nothing else is ever a media name."""


class MediaRefused(ValueError):
    """A photo that is not stored (empty, too large, not a JPEG/PNG/WebP) or a name that is not a media
    name; the message names the file and the problem."""


def sniff(data: bytes) -> str | None:
    """The kind of image ``data`` holds by its first bytes (``jpg``, ``png``, ``webp``), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check(data: bytes, filename: str, max_bytes: int) -> str:
    """The kind of the photo ``data`` (sent as ``filename``), or :class:`MediaRefused` saying why not."""
    label = filename or "(no name)"
    if not data:
        raise MediaRefused(f"{label}: the file is empty")
    if len(data) > max_bytes:
        raise MediaRefused(f"{label}: {describe_size(len(data))} is larger than the {describe_size(max_bytes)} "
                           "allowed per photo (MEDIA_MAX_BYTES)")
    kind = sniff(data)
    if kind is None:
        raise MediaRefused(f"{label}: not a JPEG, PNG or WebP image (its content says otherwise, whatever "
                           "its name)")
    return kind


def media_name(data: bytes, kind: str) -> str:
    """The stored name of a photo: the SHA-256 of its bytes and its kind."""
    if kind not in CONTENT_TYPES:
        raise MediaRefused(f"unknown photo kind {kind!r}: one of {', '.join(CONTENT_TYPES)}")
    return f"{hashlib.sha256(data).hexdigest()}.{kind}"


def content_type(name: str) -> str:
    """The MIME type of a stored photo by its name."""
    return CONTENT_TYPES[valid_name(name).rsplit(".", 1)[1]]


def valid_name(name: str) -> str:
    """``name`` when it is a media name (:data:`NAME`), else :class:`MediaRefused`."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise MediaRefused(f"{str(name)[:80]!r} is not a media name (sha256 hex and .jpg/.png/.webp)")
    return name


def describe_size(size: int) -> str:
    """``8 MB``, ``350 KB`` or ``12 bytes``: a size as people read it (binary units)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def settings(environ: Mapping[str, str] | None = None) -> tuple[Path, int]:
    """(folder, max_bytes) from ``MEDIA_DIR`` and ``MEDIA_MAX_BYTES`` (defaults when unset); a bad value
    raises ValueError naming the variable."""
    environ = os.environ if environ is None else environ
    folder = Path(environ.get("MEDIA_DIR") or DEFAULT_DIR).expanduser()
    if not folder.is_absolute():
        folder = ROOT / folder
    raw = (environ.get("MEDIA_MAX_BYTES") or "").strip()
    if not raw:
        return folder, DEFAULT_MAX_BYTES
    try:
        max_bytes = int(raw)
    except ValueError:
        raise ValueError(f"MEDIA_MAX_BYTES={raw!r}: a whole number of bytes, e.g. 8388608 for 8 MB") from None
    if max_bytes <= 0:
        raise ValueError(f"MEDIA_MAX_BYTES={raw!r}: must be above 0")
    return folder, max_bytes


@dataclass(frozen=True)
class Stored:
    """A photo in the media folder: its ``name`` (the link's last part), size, MIME type, and the file name
    it was sent as (for the person who sent it; never used as a path)."""

    name: str
    size: int
    content_type: str
    filename: str


class MediaStore:
    """The media folder: :meth:`put` a photo, find one's :meth:`path` by its name.

    Parameters
    ----------
    folder
        Where the photos live (created on the first :meth:`put`).
    max_bytes
        The largest photo accepted.
    """

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be above 0, got {max_bytes}")
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MediaStore:
        """The media store ``MEDIA_DIR`` and ``MEDIA_MAX_BYTES`` describe (see :func:`settings`)."""
        return cls(*settings(environ))

    def put(self, data: bytes, filename: str = "") -> Stored:
        """Store a photo (checked first: :class:`MediaRefused` stores nothing); the same bytes twice are one
        file."""
        kind = check(data, filename, self.max_bytes)
        name = media_name(data, kind)
        target = self._file(name)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=f".{kind}")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return Stored(name, len(data), CONTENT_TYPES[kind], filename)

    def path(self, name: str) -> Path:
        """The file of the stored photo ``name``: :class:`MediaRefused` for anything but a media name,
        FileNotFoundError when no such photo is stored."""
        target = self._file(valid_name(name))
        if not target.is_file():
            raise FileNotFoundError(f"no stored photo {name}")
        return target

    def exists(self, name: str) -> bool:
        """Whether the photo ``name`` is stored (False for anything that is not a media name)."""
        try:
            self.path(name)
        except (MediaRefused, FileNotFoundError):
            return False
        return True

    def _file(self, name: str) -> Path:
        target = self.folder / name[:2] / name
        root = self.folder.resolve()
        if not target.resolve().is_relative_to(root):  # unreachable for a media name; kept as a second lock
            raise MediaRefused(f"{name!r} would leave the media folder")
        return target
