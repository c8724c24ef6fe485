"""Content hashes of input files, computed once per file per process: a province's shared export is read once."""

from __future__ import annotations

import errno
import hashlib
import stat as stat_kind
from pathlib import Path

_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 hex of a file's bytes, cached by (resolved path, size, mtime) so a changed file is hashed again."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    if not stat_kind.S_ISREG(stat.st_mode):  # a pipe or device would be waited on forever, never hashed
        raise OSError(errno.EINVAL, "not a regular file", str(resolved))
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    digest = _CACHE.get(key)
    if digest is None:
        sha = hashlib.sha256()
        with open(resolved, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        digest = _CACHE[key] = sha.hexdigest()
    return digest
