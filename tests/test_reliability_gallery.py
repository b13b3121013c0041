"""Damaged and crafted galleries: one line naming the file, exit 2, before any model loads.

The galleries are small synthetic ones (their content does not matter to the file checks),
damaged the ways a disk, a transfer or a hand edit damages them.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from gallery_data import make_gallery

from speakerid.errors import GalleryError
from speakerid.identity.gallery import Gallery
from speakerid.identity.gallery_file import ARRAYS, META


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gallery") / "good.sid"
    make_gallery().save(path)
    return path


def rewrite(src: Path, dst: Path, meta=None, arrays: dict | None = None, fix_checksum: bool = True) -> Path:
    """Copy of ``src`` with gallery.json replaced by ``meta(old)`` and/or the arrays replaced."""
    from safetensors.numpy import save as st_save

    with zipfile.ZipFile(src) as zf:
        old_meta, raw = json.loads(zf.read(META)), zf.read(ARRAYS)
    if arrays is not None:
        raw = st_save(arrays)
        if fix_checksum:
            old_meta["checksums"] = {ARRAYS: hashlib.sha256(raw).hexdigest()}
    new_meta = meta(old_meta) if meta else old_meta
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(META, json.dumps(new_meta) if not isinstance(new_meta, bytes) else new_meta)
        zf.writestr(ARRAYS, raw)
    return dst


def arrays_of(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load

    with zipfile.ZipFile(path) as zf:
        return load(zf.read(ARRAYS))


def with_keys(**changes):
    def edit(meta: dict) -> dict:
        out = dict(meta)
        for k, v in changes.items():
            if v is KeyError:
                out.pop(k)
            else:
                out[k] = v
        return out

    return edit


def flip_inside(src: Path, dst: Path, member: str) -> Path:
    """Flip one bit in the middle of ``member``'s stored (compressed) bytes."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = (
        int.from_bytes(data[info.header_offset + o : info.header_offset + o + 2], "little") for o in (26, 28)
    )
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x10
    dst.write_bytes(bytes(data))
    return dst


def test_roundtrip_keeps_everything_and_stores_a_checksum(good):
    g, back = make_gallery(), Gallery.load(good)
    assert back.names == g.names and back.sources == g.sources and back.threshold == g.threshold
    np.testing.assert_array_equal(back.embeddings, g.embeddings)
    with zipfile.ZipFile(good) as zf:
        assert sorted(zf.namelist()) == [ARRAYS, META]
        meta = json.loads(zf.read(META))
        assert meta["checksums"][ARRAYS] == hashlib.sha256(zf.read(ARRAYS)).hexdigest()


def test_gallery_written_before_checksums_still_loads(good, tmp_path):
    """Format v1 as the previous release wrote it (no checksums entry) stays readable."""
    old = rewrite(good, tmp_path / "old.sid", with_keys(checksums=KeyError))
    assert Gallery.load(old).names == make_gallery().names


BAD_META = {
    "json_is_a_list": (lambda m: [m], "must hold a JSON object"),
    "not_json": (lambda m: b"{not json", "not valid JSON"),
    "missing_names": (with_keys(names=KeyError), "names must be a list"),
    "missing_embedder": (with_keys(embedder=KeyError), "embedder missing"),
    "unknown_embedder": (with_keys(embedder="arcface"), "unknown embedder 'arcface'"),
    "names_not_strings": (with_keys(names=[1, 2, 3]), "names must be a list"),
    "duplicate_names": (with_keys(names=["a", "a", "b"]), "duplicates"),
    "sources_count": (lambda m: {**m, "sources": m["sources"][:-1]}, "sources for"),
    "bad_classifier": (with_keys(classifier="forest"), "classifier must be one of"),
    "threshold_nan": (with_keys(threshold_override=float("nan")), "threshold_override"),
    "threshold_out_of_range": (with_keys(threshold_override=3.0), "threshold_override"),
    "calibration_list": (with_keys(calibration=[1, 2]), "calibration: must be an object"),
    "calibration_missing_key": (
        lambda m: {**m, "calibration": {k: v for k, v in m["calibration"].items() if k != "slope"}},
        "calibration: must be",
    ),
    "calibration_threshold_nan": (
        lambda m: {**m, "calibration": {**m["calibration"], "threshold": float("nan")}},
        "threshold must be a finite number",
    ),
    "calibration_threshold_range": (
        lambda m: {**m, "calibration": {**m["calibration"], "threshold": 7.0}},
        "threshold must be in [-1, 1]",
    ),
    "calibration_far": (lambda m: {**m, "calibration": {**m["calibration"], "far": 0.0}}, "far must be in"),
    "calibration_count": (lambda m: {**m, "calibration": {**m["calibration"], "n_genuine": -3}}, "n_genuine"),
    "calibration_mean_string": (
        lambda m: {**m, "calibration": {**m["calibration"], "genuine_mean": "x"}},
        "genuine_mean must be a finite number",
    ),
    "no_calibration": (with_keys(calibration=None), "no calibration and no threshold"),
    "format_newer": (with_keys(format_version=2), "newer than this speakerid reads"),
    "format_other": (with_keys(format="zip-of-cats"), "not a speakerid gallery"),
}


@pytest.mark.parametrize("case", sorted(BAD_META))
def test_bad_metadata_is_one_line_naming_the_file(good, tmp_path, case):
    edit, words = BAD_META[case]
    path = rewrite(good, tmp_path / f"{case}.sid", edit)
    with pytest.raises(GalleryError) as exc:
        Gallery.load(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: ") and words in msg and "\n" not in msg, msg


def _arrays(good: Path, **changes) -> dict[str, np.ndarray]:
    return {**arrays_of(good), **changes}


def test_bad_arrays_are_one_line_naming_the_file(good, tmp_path):
    emb, person = arrays_of(good)["embeddings"], arrays_of(good)["person"]
    nan = emb.copy()
    nan[3, 7] = np.nan
    zero = emb.copy()
    zero[2] = 0.0
    cases = {
        "wrong_size": ({"embeddings": emb[:, :128].copy()}, "embedding size 128, but facenet makes 512-d"),
        "nan": ({"embeddings": nan}, "NaN or infinite"),
        "zero_vector": ({"embeddings": zero}, "all-zero vectors"),
        "person_out_of_range": ({"person": np.where(person == 2, 9, person)}, "person indices must be in [0, 2]"),
        "person_negative": ({"person": np.where(person == 0, -1, person)}, "person indices must be in"),
        "person_missing": ({"person": np.where(person == 1, 0, person)}, "no embeddings for 'person1'"),
        "one_d": ({"embeddings": emb[:, 0].copy()}, "2-D float array"),
        "float_person": ({"person": person.astype(np.float32)}, "1-D integer array"),
        "short_person": ({"person": person[:-1].copy()}, "one entry per embedding"),
        "extra_tensor": ({"pickle": np.zeros(3, np.uint8)}, "exactly 'embeddings' and 'person'"),
    }
    for case, (change, words) in cases.items():
        path = rewrite(good, tmp_path / f"{case}.sid", arrays=_arrays(good, **change))
        with pytest.raises(GalleryError) as exc:
            Gallery.load(path)
        msg = str(exc.value)
        assert msg.startswith(f"{path}: ") and words in msg and "\n" not in msg, (case, msg)


def test_damaged_bytes_are_caught(good, tmp_path):
    # a bit flip inside the compressed gallery.json: zlib error or CRC mismatch, never a traceback
    for member in (META, ARRAYS):
        path = flip_inside(good, tmp_path / f"flip-{member}.sid", member)
        with pytest.raises(GalleryError, match=f"^{path}: not a readable speakerid gallery"):
            Gallery.load(path)
    # arrays swapped for other valid ones without updating the checksum
    swapped = rewrite(
        good,
        tmp_path / "swapped.sid",
        arrays=_arrays(good, embeddings=-arrays_of(good)["embeddings"]),
        fix_checksum=False,
    )
    with pytest.raises(GalleryError, match="does not match its checksum"):
        Gallery.load(swapped)
    truncated = tmp_path / "truncated.sid"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(GalleryError, match=f"^{truncated}: "):
        Gallery.load(truncated)
    nozip = tmp_path / "text.sid"
    nozip.write_text("just text")
    with pytest.raises(GalleryError, match="not a zip archive"):
        Gallery.load(nozip)
    missing = tmp_path / "members.sid"
    with zipfile.ZipFile(missing, "w") as zf:
        zf.writestr(META, "{}")
    with pytest.raises(GalleryError, match=f"no {ARRAYS} inside"):
        Gallery.load(missing)


def test_pickle_member_is_never_loaded(good, tmp_path):
    """A crafted .sid whose arrays member is a pickle is refused, not unpickled."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())

    path = tmp_path / "pickle.sid"
    with zipfile.ZipFile(good) as zf:
        meta = json.loads(zf.read(META))
    meta.pop("checksums")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(META, json.dumps(meta))
        zf.writestr(ARRAYS, pickle.dumps(Boom()))
    with pytest.raises(GalleryError, match="not a readable safetensors"):
        Gallery.load(path)
    assert not (tmp_path / "pwned").exists()


def test_cli_annotate_bad_gallery_exit_2_before_models(good, tmp_path, hamilton, capfd, no_models):
    from speakerid.cli.main import main

    bad = rewrite(good, tmp_path / "nan.sid", with_keys(threshold_override=float("nan")))
    code = main(["annotate", str(hamilton), "--gallery", str(bad), "--no-dataset", "--quiet"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and err == [f"speakerid: error: {bad}: threshold_override must be a number in [-1, 1], not nan"]
    other = tmp_path / "sface.sid"
    rewrite(
        good,
        other,
        with_keys(embedder="sface"),
        arrays={**arrays_of(good), "embeddings": arrays_of(good)["embeddings"][:, :128].copy()},
    )
    code = main(["annotate", str(hamilton), "--gallery", str(other), "--no-dataset", "--quiet"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "made with embedder sface" in err[0] and "--embedder sface" in err[0]


def test_label_with_broken_gallery_touches_nothing(good, tmp_path, hamilton, dataset_name, capfd, no_models):
    """A bad gallery stops `label` at once (exit 2): no sample is tagged, no done marker cleared."""
    import fiftyone as fo

    from speakerid.batch.commit import DONE_FIELD, ERROR_FIELD
    from speakerid.cli.main import main

    ds = fo.Dataset(dataset_name)
    ds.add_sample_field(DONE_FIELD, fo.StringField)
    ds.add_sample(fo.Sample(filepath=str(hamilton), **{DONE_FIELD: "finished-earlier"}))
    before = ds.first().to_dict()
    bad = flip_inside(good, tmp_path / "flipped.sid", META)
    code = main(["label", "--dataset", dataset_name, "--gallery", str(bad), "--quiet"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"speakerid: error: {bad}: "), err
    ds.reload()
    assert ds.first().to_dict() == before and ds.first()[DONE_FIELD] == "finished-earlier"
    assert not ds.has_field(ERROR_FIELD) and ds.first().tags == []
