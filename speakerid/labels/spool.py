"""Results kept on disk when the FiftyOne database fails at write time, written on the next run.

A spool file holds exactly the documents the writer would have stored (``LabelDocs``, in MongoDB
extended JSON), the dataset and sample they belong to, any extra fields (the batch job's done
marker) and when they were made. Each dataset has its own folder, named by a digest of its exact
name (``a#b`` and ``a_b`` never share one). ``speakerid annotate`` and ``speakerid label`` write a
dataset's spool before their own work, and ``speakerid flush`` does it on demand, one process at a
time (a lock file). Each file is checked before it is used: one that cannot be read, or that
belongs to another dataset, is moved to ``rejected/`` with one warning line naming it; results
older than the labels the sample got meanwhile (another machine wrote them) are moved to
``superseded/`` and the newer labels kept. A file is deleted only once it is written.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.fiftyone_private import sample_docs
from speakerid.labels.fiftyone_writer import LabelDocs, write_label_docs
from speakerid.labels.replace import Superseded, utc_now
from speakerid.stop_points import stop_point

SPOOL_VERSION = 2
log = logging.getLogger(__name__)


class SpoolFileError(ValueError):
    """A spool file that cannot be used (unreadable, incomplete, another dataset's)."""


def spool_dir(dataset_name: str) -> Path:
    """``$SPEAKERID_CACHE/v1/spool/<readable name>-<digest of the exact name>``."""
    digest = hashlib.sha256(dataset_name.encode()).hexdigest()[:12]
    return cache_dir("spool", f"{_readable(dataset_name)[:60]}-{digest}")


def spool(
    dataset_name: str,
    docs: LabelDocs,
    sample_id: str | None = None,
    extra: dict[str, Any] | None = None,
    made_at: datetime | None = None,
) -> Path:
    """Keep ``docs`` for ``dataset_name``; the sample is ``sample_id``, else found by filepath.
    ``made_at``: when the results were made (now by default); older results never replace newer."""
    from bson import json_util

    payload = {
        "version": SPOOL_VERSION,
        "dataset": dataset_name,
        "filepath": docs.filepath,
        "sample_id": sample_id,
        "made_at": made_at or utc_now(),
        "fields": docs.fields,
        "frames": docs.frames,
        "extra": extra or {},
        "field_types": {k: v.__name__ for k, v in docs.field_types.items()},
    }
    key = hashlib.sha1(f"{sample_id}:{docs.filepath}".encode()).hexdigest()[:16]
    path = spool_dir(dataset_name) / f"{key}.json"
    atomic_write_bytes(path, json_util.dumps(payload).encode())
    return path


def spooled(dataset_name: str) -> list[Path]:
    """The spool files waiting for ``dataset_name`` (oldest first), including those an older
    speakerid left in the folder it shared between similar names."""
    files = list(spool_dir(dataset_name).glob("*.json"))
    legacy = cache_dir("spool").joinpath(_readable(dataset_name))
    if legacy.is_dir():
        files += [p for p in legacy.glob("*.json") if _dataset_of(p) in (dataset_name, None)]
    return sorted(files, key=_mtime)


def flush(dataset: Any, warn: Callable[[str], None] | None = None) -> int:
    """Write every spooled result of ``dataset`` (deleting each file once written); returns how
    many were written. Unusable and superseded files are moved aside, each reported by ``warn``
    (default: a logged warning); a spooled sample that was deleted since is dropped."""
    warn = warn or log.warning
    written = 0
    with _locked(spool_dir(dataset.name)):
        for path in spooled(dataset.name):
            try:
                payload = read_spool_file(path, dataset.name)
            except FileNotFoundError:  # written meanwhile by a flush that held the lock before us
                continue
            except SpoolFileError as exc:
                warn(f"{path}: {exc}; moved to {_set_aside(path, 'rejected')}")
                continue
            stop_point("flush-read")
            docs = LabelDocs(payload["filepath"], payload["fields"], payload["frames"], payload["field_types"])
            if payload["sample_id"] is not None and not _exists(dataset, payload["sample_id"]):
                path.unlink(missing_ok=True)
                continue
            try:
                write_label_docs(dataset, docs, payload["sample_id"], payload["extra"], made_at=payload["made_at"])
            except Superseded as exc:
                warn(f"{path}: {exc}; moved to {_set_aside(path, 'superseded')}")
                continue
            path.unlink(missing_ok=True)
            written += 1
    return written


def read_spool_file(path: Path, dataset_name: str) -> dict[str, Any]:
    """The checked payload of a spool file (field types resolved); SpoolFileError if unusable."""
    import fiftyone as fo
    from bson import json_util

    text = path.read_bytes()
    try:
        payload = json_util.loads(text)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise SpoolFileError(f"unreadable spool file ({type(exc).__name__})") from None
    need = {"dataset": str, "filepath": str, "fields": dict, "frames": list, "extra": dict, "field_types": dict}
    if not isinstance(payload, dict):
        raise SpoolFileError("not a spool file (no JSON object)")
    for key, kind in need.items():
        if not isinstance(payload.get(key), kind):
            raise SpoolFileError(f"incomplete spool file ({key!r} missing or not a {kind.__name__})")
    if payload["dataset"] != dataset_name:
        raise SpoolFileError(f"results of dataset {payload['dataset']!r}, not {dataset_name!r}")
    if not isinstance(payload.get("sample_id"), str | None) or not all(
        isinstance(f, dict) and isinstance(f.get("frame_number"), int) for f in payload["frames"]
    ):
        raise SpoolFileError("incomplete spool file (sample id or frame documents)")
    types = {}
    for name, kind in payload["field_types"].items():
        cls = dict if kind == "dict" else getattr(fo, str(kind), None)
        if cls is None or (cls is not dict and not isinstance(cls, type)):
            raise SpoolFileError(f"unknown label type {kind!r} for field {name!r}")
        types[name] = cls
    made_at = payload.get("made_at")
    if isinstance(made_at, datetime) and made_at.tzinfo is not None:
        made_at = made_at.astimezone(UTC).replace(tzinfo=None)
    return {**payload, "field_types": types, "made_at": made_at if isinstance(made_at, datetime) else None}


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One flush of a dataset's spool at a time (others wait, then find what is left)."""
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _set_aside(path: Path, why: str) -> Path:
    """Move a spool file out of the way (kept for the user to inspect), returning where to."""
    folder = path.parent / why
    folder.mkdir(exist_ok=True)
    dest = folder / path.name
    os.replace(path, dest)
    return dest


def _dataset_of(path: Path) -> str | None:
    """The dataset a legacy spool file names (None when unreadable: it is reported at flush)."""
    try:
        payload = json.loads(path.read_text())
        return payload.get("dataset") if isinstance(payload, dict) else None
    except (OSError, ValueError, RecursionError):
        return None


def _readable(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _exists(dataset: Any, sample_id: str) -> bool:
    from bson import ObjectId

    return sample_docs(dataset).count_documents({"_id": ObjectId(sample_id)}, limit=1) > 0
