"""Results kept on disk when the FiftyOne database fails at write time, written on the next run.

A spool file holds exactly the documents the writer would have stored (``LabelDocs``, in MongoDB
extended JSON), plus the sample they belong to and any extra fields (the batch job's done
marker). ``speakerid annotate`` and ``speakerid label`` write a dataset's spool before their own
work, and ``speakerid flush`` does it on demand; a file is deleted only once it is written.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.labels.fiftyone_writer import LabelDocs, write_label_docs

SPOOL_VERSION = 1


def spool_dir(dataset_name: str) -> Path:
    """``$SPEAKERID_CACHE/v1/spool/<dataset>``: where results for ``dataset_name`` wait."""
    return cache_dir("spool", re.sub(r"[^\w.-]", "_", dataset_name))


def spool(
    dataset_name: str, docs: LabelDocs, sample_id: str | None = None, extra: dict[str, Any] | None = None
) -> Path:
    """Keep ``docs`` for ``dataset_name``; the sample is ``sample_id``, else found by filepath."""
    from bson import json_util

    payload = {
        "version": SPOOL_VERSION,
        "dataset": dataset_name,
        "filepath": docs.filepath,
        "sample_id": sample_id,
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
    """The spool files waiting for ``dataset_name`` (oldest first)."""
    return sorted(spool_dir(dataset_name).glob("*.json"), key=lambda p: p.stat().st_mtime)


def flush(dataset: Any) -> int:
    """Write every spooled result of ``dataset`` (deleting each file once written); returns how
    many were written. A spooled sample that was deleted since is dropped."""
    import fiftyone as fo
    from bson import json_util

    written = 0
    for path in spooled(dataset.name):
        payload = json_util.loads(path.read_text())
        types = {k: dict if v == "dict" else getattr(fo, v) for k, v in payload["field_types"].items()}
        docs = LabelDocs(payload["filepath"], payload["fields"], payload["frames"], types)
        if payload["sample_id"] is not None and not _exists(dataset, payload["sample_id"]):
            path.unlink()
            continue
        write_label_docs(dataset, docs, payload["sample_id"], payload["extra"])
        path.unlink()
        written += 1
    return written


def _exists(dataset: Any, sample_id: str) -> bool:
    from bson import ObjectId

    return dataset._sample_collection.count_documents({"_id": ObjectId(sample_id)}, limit=1) > 0
