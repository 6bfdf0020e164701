"""The media store behind the officers' photos: what is accepted (by content, within the size limit), where it
goes (content-hash names inside the folder, nothing else reachable), and the upload tokens that bind a
photo to the person who uploaded it."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import flask
import pytest

from cases.permissions import Actor
from cases.states import Role
from dashboard import media
from store.media import ROOT, MediaRefused, MediaStore, check, content_type, settings, sniff

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(40) + b"\xff\xd9"
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + bytes(22)


def png(seed: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes([0, seed])))
            + chunk(b"IEND", b""))


def test_the_kind_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    assert (sniff(JPEG), sniff(png()), sniff(WEBP)) == ("jpg", "png", "webp")
    store = MediaStore(tmp_path, max_bytes=10_000)
    assert store.put(png(), "photo.jpg").name.endswith(".png")  # a PNG called .jpg is stored as a PNG
    assert store.put(JPEG, "photo.png").content_type == "image/jpeg"
    assert store.put(WEBP, "x").name.endswith(".webp")
    for data, name in ((b"GIF89a" + bytes(20), "anim.gif.jpg"), (b"<svg onload=alert(1)>", "evil.png"),
                       (b"%PDF-1.7", "doc.jpg"), (b"RIFF\x00\x00\x00\x00WAVEfmt ", "sound.webp"), (b"", "empty.jpg")):
        with pytest.raises(MediaRefused, match=name.replace(".", r"\.")):
            store.put(data, name)
    assert sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file()) == [".jpg", ".png", ".webp"]


def test_the_size_limit_is_per_photo_and_inclusive(tmp_path: Path) -> None:
    photo = png()
    store = MediaStore(tmp_path, max_bytes=len(photo))
    assert store.put(photo, "exact.png").size == len(photo)
    with pytest.raises(MediaRefused, match=r"big\.png: .* larger than .* allowed per photo \(MEDIA_MAX_BYTES\)"):
        store.put(photo + b"\x00", "big.png")
    with pytest.raises(MediaRefused, match="larger"):
        check(bytes(9 * 1024 * 1024), "huge.jpg", 8 * 1024 * 1024)


def test_a_photo_is_stored_once_under_its_hash_with_no_leftovers(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    first, again = store.put(png(1), "a.png"), store.put(png(1), "b.png")
    assert first.name == again.name and len(first.name) == 64 + 4
    assert store.path(first.name).read_bytes() == png(1)
    assert store.path(first.name).parent.name == first.name[:2]
    assert [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()] == [first.name]  # no temp files
    assert store.put(png(2), "c.png").name != first.name
    assert content_type(first.name) == "image/png"


def test_only_media_names_reach_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    store = MediaStore(folder)
    (tmp_path / "secret.txt").write_text("secret")
    stored = store.put(png(), "p.png")
    for name in ("../secret.txt", "../../etc/passwd", "/etc/passwd", stored.name.upper(), stored.name[:-4] + ".gif",
                 stored.name + "/..", f"{stored.name[:2]}/{stored.name}", "a" * 64 + ".png\x00.txt", "", None):
        with pytest.raises(MediaRefused):
            store.path(name)  # type: ignore[arg-type]
        assert not store.exists(name)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        store.path("0" * 64 + ".png")
    assert store.exists(stored.name)


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    assert settings({}) == (ROOT / "data" / "media", 8 * 1024 * 1024)
    assert settings({"MEDIA_DIR": str(tmp_path), "MEDIA_MAX_BYTES": "1048576"}) == (tmp_path, 1048576)
    assert settings({"MEDIA_DIR": "var/photos"})[0] == ROOT / "var" / "photos"  # relative: from the checkout
    for bad in ("8MB", "0", "-5", "1.5"):
        with pytest.raises(ValueError, match="MEDIA_MAX_BYTES"):
            settings({"MEDIA_MAX_BYTES": bad})
    assert (ROOT / ".gitignore").read_text().count("/data/media/") == 1  # the default folder stays out of git


def test_uploads_are_decoded_checked_and_bound_to_the_uploader(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDIA_MAX_BYTES", "4096")
    app = flask.Flask(__name__)
    app.secret_key = "test-secret"
    officer = Actor("officer", Role.OFFICER, teams={"T1"})
    other = Actor("officer2", Role.OFFICER, teams={"T1"})
    url = "data:image/png;base64," + base64.b64encode(png()).decode()
    big = "data:image/jpeg;base64," + base64.b64encode(JPEG + bytes(5000)).decode()
    with app.app_context():
        results = media.receive([url, "data:image/png;base64,@@@", "not a data url", big, url],
                                ["a.png", "b.png", "c.png", "d.jpg", "again.png"], officer)
        assert [("token" in r, r.get("error", "")[:5]) for r in results] == [
            (True, ""), (False, "b.png"), (False, "c.png"), (False, "d.jpg"), (True, "")]
        assert "bad base64" in results[1]["error"] and "larger" in results[3]["error"]
        assert results[0]["name"] == results[4]["name"]
        token = results[0]["token"]
        assert media.token_name(token, officer) == results[0]["name"]
        assert media.token_name(token, other) is None  # someone else's upload
        assert media.token_name(token[:-2] + "xx", officer) is None
        assert media.token_name(12, officer) is None
        assert media.token_names([token, token, "forged"], officer) == ([results[0]["name"]], 1)
        (tmp_path / results[0]["name"][:2] / results[0]["name"]).unlink()
        assert media.token_name(token, officer) is None  # no longer stored
    other_app = flask.Flask(__name__)
    other_app.secret_key = "another-secret"
    with other_app.app_context():
        assert media.token_name(token, officer) is None  # signed by another deployment


def test_links_name_what_a_photo_is_evidence_of() -> None:
    name = "ab" * 32 + ".png"
    assert media.case_link(12, name) == f"/media/case/12/{name}"
    assert media.patrol_link("XC-350212001-ZF01-20260301080000-abc123", name).startswith("/media/patrol/XC-")
