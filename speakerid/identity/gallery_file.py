"""The ``.sid`` gallery file: packing, and reading with every field checked before use.

A ``.sid`` is a zip of ``gallery.json`` (names, sources, embedder, calibration, and the SHA-256
of the other members), ``embeddings.safetensors`` (embeddings, person index) and, optionally,
``thumbnails.safetensors`` (one small face crop per person, shown by the App). Reading checks
the archive (CRC, sizes), the checksum, the JSON schema, the array shapes and values, and the
embedding size of the named embedder, so a damaged or crafted file is one GalleryError naming
the file, raised before any model is loaded. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from speakerid.defaults import CLASSIFIERS
from speakerid.errors import GalleryError

FORMAT = "speakerid-gallery"
FORMAT_VERSION = 1
META, ARRAYS = "gallery.json", "embeddings.safetensors"
THUMBS = "thumbnails.safetensors"  # optional: uint8 (people with a thumbnail, S, S, 3)
THUMB_SIDES = (8, 512)  # plausible thumbnail side lengths (px)
MAX_MEMBER_BYTES = 1 << 30  # refuse archives that would inflate past this (zip bombs)
COUNTS = ("n_genuine", "n_impostor")  # calibration fields that are counts; the others are numbers
OPTIONAL = ("genuine_mean",)  # calibration fields that may be null


def pack(
    meta: dict[str, Any], embeddings: np.ndarray, person: np.ndarray, thumbnails: dict[str, np.ndarray] | None = None
) -> bytes:
    """The ``.sid`` bytes; ``meta`` gets the format tag, the checksums of the arrays and the
    names of the people with a thumbnail (``thumbnails``: name -> (S,S,3) uint8, one size)."""
    arrays = st_save(
        {"embeddings": np.ascontiguousarray(embeddings, np.float32), "person": np.ascontiguousarray(person, np.int64)}
    )
    members = {ARRAYS: arrays}
    if thumbnails:
        members[THUMBS] = st_save({"thumbnails": np.ascontiguousarray(np.stack(list(thumbnails.values())), np.uint8)})
        meta = {**meta, "thumbnails": list(thumbnails)}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "checksums": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(META, json.dumps(meta, indent=1, allow_nan=False))
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def read(
    path: str | Path, embedding_dims: dict[str, int]
) -> tuple[dict[str, Any], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(meta, embeddings float32 (N,D), person int64 (N,), thumbnails name -> (S,S,3) uint8) of a
    valid ``.sid`` file.

    ``embedding_dims``: output size of each known embedder, to check the stored vectors against.
    """
    path = Path(path)
    if not path.is_file():
        raise GalleryError(f"{path}: gallery file not found")
    raw_meta, raw_arrays, raw_thumbs = _members(path)
    try:
        meta = json.loads(raw_meta.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise GalleryError(f"{path}: {META} is not valid JSON") from None
    except RecursionError:
        raise GalleryError(f"{path}: {META} is nested too deeply to be a gallery") from None
    if not isinstance(meta, dict):
        raise GalleryError(f"{path}: {META} must hold a JSON object, not {type(meta).__name__}")
    problem = _format_problem(meta) or _checksum_problem(meta, raw_arrays)
    if problem:
        raise GalleryError(f"{path}: {problem}")
    try:
        arrays = st_load(raw_arrays)
    except (SafetensorError, ValueError, TypeError):
        raise GalleryError(f"{path}: {ARRAYS} is not a readable safetensors file") from None
    problem = _meta_problem(meta, embedding_dims) or _arrays_problem(meta, arrays, embedding_dims)
    if problem:
        raise GalleryError(f"{path}: {problem}")
    thumbs, problem = _thumbnails(meta, raw_thumbs)
    if problem:
        raise GalleryError(f"{path}: {problem}")
    return meta, arrays["embeddings"].astype(np.float32), arrays["person"].astype(np.int64), thumbs


def _members(path: Path) -> tuple[bytes, bytes, bytes | None]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            for name in (META, ARRAYS, THUMBS):
                if name not in infos:
                    if name == THUMBS:
                        continue
                    raise GalleryError(f"{path}: not a speakerid gallery (no {name} inside)")
                if infos[name].flag_bits & 0x1:
                    raise GalleryError(f"{path}: {name} is encrypted (speakerid galleries never are)")
                if infos[name].file_size > MAX_MEMBER_BYTES:
                    raise GalleryError(f"{path}: {name} is implausibly large ({infos[name].file_size} bytes)")
            return zf.read(META), zf.read(ARRAYS), zf.read(THUMBS) if THUMBS in infos else None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        why = "damaged archive" if not isinstance(exc, zipfile.BadZipFile) or "CRC" in str(exc) else "not a zip archive"
        raise GalleryError(f"{path}: not a readable speakerid gallery ({why}: {_first_line(exc)})") from None


def _format_problem(meta: dict) -> str | None:
    fmt, version = meta.get("format"), meta.get("format_version")
    if fmt != FORMAT or not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return f"not a speakerid gallery (format {fmt!r} v{version!r})"
    if version > FORMAT_VERSION:
        return f"gallery format v{version} is newer than this speakerid reads (v{FORMAT_VERSION}): upgrade speakerid"
    return None


def _checksum_problem(meta: dict, raw_arrays: bytes) -> str | None:
    """Galleries written before checksums existed have none: their zip CRCs still apply."""
    sums = meta.get("checksums")
    if sums is None:
        return None
    if not isinstance(sums, dict) or not isinstance(sums.get(ARRAYS), str):
        return "checksums entry is malformed"
    if hashlib.sha256(raw_arrays).hexdigest() != sums[ARRAYS]:
        return f"{ARRAYS} does not match its checksum (the file is damaged)"
    return None


def _thumbnails(meta: dict, raw: bytes | None) -> tuple[dict[str, np.ndarray], str | None]:
    """(name -> thumbnail, problem): the optional member, checked like the others."""
    names = meta.get("thumbnails")
    if raw is None and names is None:
        return {}, None
    if raw is None or names is None:
        return {}, f"{THUMBS} and the thumbnails list in {META} must come together"
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return {}, "thumbnails must be a list of distinct names"
    if not set(names) <= set(meta["names"]):
        return {}, f"thumbnails for people not in the gallery: {sorted(set(names) - set(meta['names']))}"
    expected = (meta.get("checksums") or {}).get(THUMBS)
    if not isinstance(expected, str) or hashlib.sha256(raw).hexdigest() != expected:
        return {}, f"{THUMBS} does not match its checksum (the file is damaged)"
    try:
        arrays = st_load(raw)
    except (SafetensorError, ValueError, TypeError):
        return {}, f"{THUMBS} is not a readable safetensors file"
    thumbs = arrays.get("thumbnails")
    if set(arrays) != {"thumbnails"} or thumbs is None or thumbs.dtype != np.uint8 or thumbs.ndim != 4:
        return {}, f"{THUMBS} must hold exactly 'thumbnails', a 4-D uint8 array"
    lo, hi = THUMB_SIDES
    if len(thumbs) != len(names) or thumbs.shape[3] != 3 or not lo <= thumbs.shape[1] == thumbs.shape[2] <= hi:
        return {}, f"thumbnails must be {len(names)} square RGB images of {lo}-{hi} px, not {thumbs.shape}"
    return dict(zip(names, thumbs)), None


def _meta_problem(meta: dict, embedding_dims: dict[str, int]) -> str | None:
    for key in ("embedder", "embedder_version"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            return f"{key} missing or not a string"
    if meta["embedder"] not in embedding_dims:
        return f"made with unknown embedder {meta['embedder']!r} (known: {', '.join(embedding_dims)})"
    names, sources = meta.get("names"), meta.get("sources")
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        return "names must be a list of non-empty strings"
    if len(set(names)) != len(names):
        return "names has duplicates"
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return "sources must be a list of strings"
    if meta.get("classifier", "centroid") not in CLASSIFIERS:
        return f"classifier must be one of {', '.join(CLASSIFIERS)}, not {meta.get('classifier')!r}"
    override = meta.get("threshold_override")
    if override is not None and not _number_in(override, -1.0, 1.0):
        return f"threshold_override must be a number in [-1, 1], not {override!r}"
    cal = meta.get("calibration")
    if cal is not None:
        problem = _calibration_problem(cal)
        if problem:
            return f"calibration: {problem}"
    if names and cal is None and override is None:
        return "no calibration and no threshold: re-enroll the gallery"
    return None


def _calibration_problem(cal: Any) -> str | None:
    """The stored form of ``Calibration``: exactly its fields, finite numbers, counts, ranges."""
    from dataclasses import fields

    from speakerid.identity.calibrate import Calibration

    expected = {f.name for f in fields(Calibration)}
    if not isinstance(cal, dict) or set(cal) != expected:
        return f"must be an object with keys {', '.join(sorted(expected))}"
    for key, value in cal.items():
        if key in COUNTS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return f"{key} must be a count, not {value!r}"
        elif not (value is None and key in OPTIONAL) and not _number_in(value, -math.inf, math.inf):
            return f"{key} must be a finite number, not {value!r}"
    if not -1.0 <= cal["threshold"] <= 1.0:
        return f"threshold must be in [-1, 1], not {cal['threshold']}"
    if not 0.0 < cal["far"] < 1.0:
        return f"far must be in (0, 1), not {cal['far']}"
    return None


def _arrays_problem(meta: dict, arrays: dict[str, np.ndarray], embedding_dims: dict[str, int]) -> str | None:
    if set(arrays) != {"embeddings", "person"}:
        return f"{ARRAYS} must hold exactly 'embeddings' and 'person', not {sorted(arrays)}"
    emb, person = arrays["embeddings"], arrays["person"]
    names, sources = meta["names"], meta["sources"]
    if emb.ndim != 2 or emb.dtype.kind != "f":
        return f"embeddings must be a 2-D float array, not {emb.ndim}-D {emb.dtype}"
    if person.ndim != 1 or person.dtype.kind not in "iu" or len(person) != len(emb):
        return f"person must be a 1-D integer array with one entry per embedding ({len(emb)})"
    if len(sources) != len(emb):
        return f"{len(sources)} sources for {len(emb)} embeddings"
    if not names:
        return None if len(emb) == 0 else f"{len(emb)} embeddings but no names"
    dim = embedding_dims[meta["embedder"]]
    if emb.shape[1] != dim:
        return f"embedding size {emb.shape[1]}, but {meta['embedder']} makes {dim}-d embeddings"
    if not np.isfinite(emb).all():
        return "embeddings contain NaN or infinite values"
    if (np.linalg.norm(emb, axis=1) == 0).any():
        return "embeddings contain all-zero vectors"
    if len(person) and (person.min() < 0 or person.max() >= len(names)):
        return f"person indices must be in [0, {len(names) - 1}], found {person.min()}..{person.max()}"
    missing = sorted(set(range(len(names))) - set(person.tolist()))
    if missing:
        return f"no embeddings for {', '.join(repr(names[i]) for i in missing)}"
    return None


def _number_in(value: Any, lo: float, hi: float) -> bool:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
