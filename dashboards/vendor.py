"""Front-end files (ECharts, htmx) fetched from the npm registry and verified against the
sha512 integrity pinned in vendor.json, the same check `npm ci` makes against a lockfile.

Nothing is fetched at import or per request: `make setup`, the Docker build and `quadra up`
call `ensure`, which does nothing when the verified files are already in place.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
MANIFEST = Path(__file__).with_name("vendor.json")
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "var" / "vendor"


class VendorError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    version: str
    tarball: str
    integrity: str  # "sha512-<base64>", as the npm registry publishes it
    files: dict[str, str]  # path inside the tarball -> file name served under /admin/static/vendor


def packages(manifest: Path = MANIFEST) -> list[Package]:
    data = json.loads(manifest.read_text())
    return [
        Package(p["name"], p["version"], p["tarball"], p["integrity"], dict(p["files"]))
        for p in data["packages"]
    ]


def integrity_matches(blob: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"unsupported integrity algorithm {algorithm!r}")
    return base64.b64encode(hashlib.sha512(blob).digest()).decode() == expected


def _stamp(target: Path, package: Package) -> Path:
    return target / f".{package.name}.integrity"


def _in_place(target: Path, package: Package) -> bool:
    stamp = _stamp(target, package)
    if not stamp.exists() or stamp.read_text().strip() != package.integrity:
        return False
    return all((target / name).is_file() for name in package.files.values())


def extract(blob: bytes, package: Package, target: Path) -> None:
    """Writes the package's listed files from a verified tarball into `target`."""
    if not integrity_matches(blob, package.integrity):
        raise VendorError(f"{package.name}@{package.version}: the tarball fails its pinned integrity")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for inner, name in package.files.items():
            member = tar.getmember(inner)  # only named members: no path from the archive is trusted
            source = tar.extractfile(member)
            if source is None:
                raise VendorError(f"{package.name}: {inner} is not a file")
            (target / name).write_bytes(source.read())
    _stamp(target, package).write_text(package.integrity)


def ensure(target: Path = DEFAULT_DIR, client: httpx.Client | None = None) -> Path:
    """The directory holding every pinned file, fetching what is missing or stale."""
    missing = [p for p in packages() if not _in_place(target, p)]
    if not missing:
        return target
    owned = client is None
    http = client or httpx.Client(timeout=60, follow_redirects=True)
    try:
        for package in missing:
            log.info("fetching %s@%s from the npm registry", package.name, package.version)
            response = http.get(package.tarball)
            response.raise_for_status()
            extract(response.content, package, target)
    finally:
        if owned:
            http.close()
    return target


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        print(f"front-end files verified in {ensure()}")
    except (VendorError, httpx.HTTPError) as error:
        sys.exit(f"could not fetch the front-end files: {error}")
