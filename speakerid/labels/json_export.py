"""The JSON export (schema in docs/json_schema.md), written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from speakerid.cache import atomic_write_bytes
from speakerid.results import VideoResult


def write_json(path: str | Path, results: list[VideoResult]) -> None:
    """One video -> one object; several -> a list of such objects."""
    payload = results[0].to_json() if len(results) == 1 else [r.to_json() for r in results]
    atomic_write_bytes(path, json.dumps(payload, indent=1).encode())
