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
    """Write to a temp file beside ``path`` then rename, so readers never see half a file.

    The file gets the mode a plain ``open(path, "w")`` would give it (the replaced file's mode,
    else 0666 minus the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask (read from /proc where possible: setting it to read it races threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
