"""Versioned on-disk cache for converted weights and derived artefacts, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from speakerid.stop_points import stop_point

CACHE_VERSION = "v1"
TMP_SUFFIX = ".tmp"
_TMP_NAME = re.compile(r"\..+\.(\d+)-[^.]+\.tmp")  # .<name>.<pid>-<random>.tmp


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=TMP_SUFFIX)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        stop_point("atomic-write")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remove_dead_temp_files(path.parent)


def remove_dead_temp_files(folder: Path) -> int:
    """Delete the temp files a killed writer left in ``folder`` (its pid, in the name, is no
    longer running); returns how many. Live writers' temp files are left alone."""
    removed = 0
    for tmp in folder.glob(f".*{TMP_SUFFIX}"):
        match = _TMP_NAME.fullmatch(tmp.name)
        if match and not _alive(int(match.group(1))):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


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


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def content_sha256(path: str | Path) -> str:
    """``file_sha256``, computed once per process for an unchanged file (size and mtime)."""
    stat = Path(path).stat()
    return _cached_sha256(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def record_entry(path: Path, origin: dict) -> None:
    """Write the sidecar ``<path>.json`` of a cache entry just written: what it was made from
    (``origin``) and the sha256 of its content, which ``entry_ok`` checks on every use."""
    atomic_write_bytes(_sidecar(path), json.dumps({**origin, "sha256": file_sha256(path)}).encode())


def entry_ok(path: Path, origin: dict) -> bool:
    """The cache entry is there, was made from ``origin`` and its content hashes to what was
    recorded (a size or date is no proof: a same-size corruption must be rebuilt, not used)."""
    try:
        meta = json.loads(_sidecar(path).read_text())
        return (
            isinstance(meta, dict)
            and all(meta.get(k) == v for k, v in origin.items())
            and path.is_file()
            and meta.get("sha256") == content_sha256(path)
        )
    except (OSError, ValueError, RecursionError):
        return False


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")
