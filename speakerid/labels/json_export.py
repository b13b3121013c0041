"""The JSON export (schema in docs/json_schema.md), written atomically, always valid JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from speakerid.cache import atomic_write_bytes
from speakerid.results import VideoResult


def write_json(path: str | Path, results: list[VideoResult]) -> None:
    """One video -> one object; none or several -> a list of such objects.

    Non-finite numbers (NaN, inf) are written as null: JSON has no spelling for them.
    """
    payload = results[0].to_json() if len(results) == 1 else [r.to_json() for r in results]
    atomic_write_bytes(path, json.dumps(finite(payload), indent=1, allow_nan=False).encode())


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (recursively)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
