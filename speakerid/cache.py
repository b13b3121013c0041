"""Versioned on-disk cache for converted weights and derived artefacts, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CACHE_VERSION = "v1"


def cache_dir(*parts: str) -> Path:
    """``$SPEAKERID_CACHE`` or ``~/.cache/speakerid``, then the cache version, then ``parts``."""
    root = Path(os.environ.get("SPEAKERID_CACHE") or Path.home() / ".cache" / "speakerid")
    path = root.joinpath(CACHE_VERSION, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temp file beside ``path`` then rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
