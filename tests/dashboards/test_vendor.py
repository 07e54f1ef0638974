"""Front-end files are taken only when they match their pinned npm integrity."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from dashboards.vendor import Package, VendorError, extract, integrity_matches, packages


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _integrity(blob: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()


def test_a_verified_tarball_yields_only_the_listed_files(tmp_path: Path) -> None:
    blob = _tarball({"package/dist/x.min.js": b"ok()", "../../evil.js": b"pwned"})
    package = Package("x", "1.0.0", "https://registry.npmjs.org/x/-/x-1.0.0.tgz", _integrity(blob),
                      {"package/dist/x.min.js": "x.min.js"})  # fmt: skip
    extract(blob, package, tmp_path)
    assert (tmp_path / "x.min.js").read_bytes() == b"ok()"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".x.integrity", "x.min.js"]


def test_a_tampered_tarball_is_refused(tmp_path: Path) -> None:
    blob = _tarball({"package/dist/x.min.js": b"ok()"})
    package = Package("x", "1", "u", _integrity(blob), {"package/dist/x.min.js": "x.min.js"})
    with pytest.raises(VendorError):
        extract(blob + b"\0", package, tmp_path)
    assert not (tmp_path / "x.min.js").exists()


def test_every_pinned_package_comes_from_the_npm_registry_with_sha512() -> None:
    for package in packages():
        assert package.tarball.startswith("https://registry.npmjs.org/")
        assert package.version in package.tarball
        assert package.integrity.startswith("sha512-")
        assert integrity_matches(b"", _integrity(b""))
