"""A verified, content-addressed cache: nothing is served that is not what was stored.

An entry (``entries/<kind>/<key>.json``) names its files by their SHA-256; the files live once
in ``objects/<sha256>``. Reading an entry re-hashes every file it names: a truncated or edited
object, or an unreadable entry, is reported (:attr:`Cache.notices`), removed, and the step is
done again, never published. Writing goes through temporary names and one rename per file, so
a build killed halfway, or two builds at once, leave either the whole entry or none.

``private``: the internal edition's cache holds personal details: its folders are ``0700`` and
its files ``0600``, like the internal edition itself. ``read=False`` (``--no-cache``): entries
are not used but are written again, which repairs whatever was there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from cae_report.build.digests import file_digest


class Cache:
    """The build cache in ``folder`` (``_build/.cache`` or ``_build/.cache-interne``)."""

    def __init__(self, folder: Path, *, private: bool = False, read: bool = True):
        self.folder = Path(folder)
        self.private = private
        self.read = read
        self.notices: list[str] = []
        self._lock = threading.Lock()
        self._mkdir(self.folder)
        if private:
            os.chmod(self.folder, 0o700)

    # ------------------------------------------------------------ reading

    def get(self, kind: str, key: str) -> dict[str, Path] | None:
        """The files of entry ``key`` (name -> path in the store), every one verified; None when
        absent, unread (``read=False``) or corrupt (then removed and noted)."""
        if not self.read:
            return None
        entry = self._entry(kind, key)
        if not entry.is_file():
            return None
        try:
            names = json.loads(entry.read_text(encoding="utf-8"))["files"]
            found = {}
            for name, digest in names.items():
                path = self.object(digest)
                if not path.is_file() or file_digest(path) != digest:
                    self._corrupt(kind, key, f"{name} does not match its SHA-256", path)
                    return None
                found[name] = path
            return found
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._corrupt(kind, key, "its index cannot be read", None)
            return None

    def _corrupt(self, kind: str, key: str, why: str, path: Path | None) -> None:
        notice = f"cache entry {kind}/{key[:12]} is corrupt ({why}): removed, done again"
        with self._lock:
            self.notices.append(notice)
        print(f"[cache] {notice}", file=sys.stderr, flush=True)
        for stale in (self._entry(kind, key), path):
            if stale is not None:
                stale.unlink(missing_ok=True)

    # ------------------------------------------------------------ writing

    def put(self, kind: str, key: str, files: dict[str, Path | bytes]) -> dict[str, str]:
        """Store ``files`` (name -> path or content) as entry ``key``; returns their SHA-256 by
        name."""
        digests = {}
        for name, source in files.items():
            if isinstance(source, bytes):
                digest = hashlib.sha256(source).hexdigest()
            else:
                digest = file_digest(source)
            target = self.object(digest)
            if not (target.is_file() and file_digest(target) == digest):
                if isinstance(source, bytes):
                    self._atomic_write(target, source)
                else:
                    self._atomic_copy(source, target)
            digests[name] = digest
        entry = self._entry(kind, key)
        self._atomic_write(entry, json.dumps({"files": digests}, sort_keys=True).encode())
        return digests

    def object(self, digest: str) -> Path:
        """Where the file of SHA-256 ``digest`` is stored."""
        return self.folder / "objects" / digest

    def _entry(self, kind: str, key: str) -> Path:
        return self.folder / "entries" / kind / f"{key}.json"

    def _mkdir(self, folder: Path) -> None:
        """Create ``folder`` and the missing folders above it, inside the cache with the
        cache's mode (``mkdir(parents=True)`` gives the parents the default mode)."""
        if folder.is_dir():
            return
        if folder != self.folder:
            self._mkdir(folder.parent)
        else:
            folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(exist_ok=True, mode=0o700 if self.private else 0o777)

    def _atomic_copy(self, source: Path, target: Path) -> None:
        def fill(stream) -> None:
            with Path(source).open("rb") as copied:
                shutil.copyfileobj(copied, stream)

        self._atomic(target, fill)

    def _atomic_write(self, target: Path, data: bytes) -> None:
        self._atomic(target, lambda stream: stream.write(data))

    def _atomic(self, target: Path, fill) -> None:
        """Write ``target`` through a temporary file in its folder and one rename."""
        self._mkdir(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:16]}.")
        try:
            with os.fdopen(fd, "wb") as stream:
                fill(stream)
            self._finish(Path(tmp), target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise self._named(exc, target) from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _named(self, exc: OSError, target: Path) -> OSError:
        """``exc`` naming ``target`` (a failed write names no file)."""
        if exc.filename is None:
            return OSError(exc.errno, exc.strerror, str(target))
        return exc

    def _finish(self, tmp: Path, target: Path) -> None:
        """Give ``tmp`` the cache's permissions and rename it to ``target``."""
        os.chmod(tmp, 0o600 if self.private else 0o666 & ~current_umask())
        tmp.replace(target)


_UMASK: int | None = None


def current_umask() -> int:
    """The process umask (read once: reading it means setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK
