"""Issue 21 item 9, the small ones: odd entries in gallery folders, damaged cache and gallery
files, temp files of a killed writer, the files named in warnings and errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import zipfile
from pathlib import Path

import pytest
from app_data import speakerid_command
from gallery_data import make_gallery
from kill_data import stop_env, wait_stopped
from test_reliability_gallery import arrays_of, rewrite, with_keys

from speakerid.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def run(
    *args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            speakerid_command(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"speakerid {args[0]} hung ({timeout} s)") from exc


def two_people(shared_data: Path, folder: Path) -> Path:
    for person in ("lin_manuel_miranda", "obama"):
        shutil.copytree(shared_data / "gallery" / person, folder / person)
    return folder


@pytest.mark.slow
def test_odd_entries_in_a_gallery_folder_are_skipped_and_named(tmp_path, shared_data):
    """A sub-folder named x.jpg, a dangling symlink and a FIFO named .jpg (which blocked the read
    forever): one line each naming it, and the real photos are enrolled."""
    people = two_people(shared_data, tmp_path / "people")
    odd = [people / "obama" / "folder.jpg", people / "obama" / "gone.jpg", people / "obama" / "pipe.jpg"]
    odd[0].mkdir()
    odd[1].symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(odd[2])
    done = run("enroll", str(people), "--out", str(tmp_path / "g.sid"), "--quiet", timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    for path in odd:
        assert sum(str(path) in line for line in done.stderr.splitlines()) == 1, (path, done.stderr)
    from speakerid.identity.gallery import Gallery

    assert sorted(Gallery.load(tmp_path / "g.sid").names) == ["lin_manuel_miranda", "obama"]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["three_items", "deep"])
def test_a_malformed_cached_rejected_list_is_enrolled_again(tmp_path, shared_data, hamilton, damage):
    from speakerid.cache import cache_dir

    people = two_people(shared_data, tmp_path / "people")
    args = ["annotate", str(hamilton), "--gallery", str(people), "--no-dataset", "--fps", "1", "--end", "2", "--quiet"]
    folder = cache_dir("galleries", "folders")
    before = set(folder.glob("*.rejected.json"))
    assert run(*args, "--json", str(tmp_path / "a.json")).returncode == 0
    (cached,) = set(folder.glob("*.rejected.json")) - before
    bad = '[["a.jpg", "too small", "extra"]]' if damage == "three_items" else "[" * 100_000 + "]" * 100_000
    cached.write_text(bad)
    done = run(*args, "--json", str(tmp_path / "b.json"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert (
        json.loads((tmp_path / "a.json").read_text())["segments"]
        == json.loads((tmp_path / "b.json").read_text())["segments"]
    )
    assert json.loads(cached.read_text()) != bad  # the cache entry was made again


def _encrypted(src: Path, dst: Path) -> Path:
    """``src`` with the 'encrypted' flag set on every member (local and central headers)."""
    data = bytearray(src.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset] |= 0x1
            at = data.find(signature, at + 4)
    dst.write_bytes(bytes(data))
    return dst


def test_crafted_sid_files_are_one_line_naming_the_file(tmp_path, hamilton, capfd):
    good = tmp_path / "good.sid"
    make_gallery().save(good)
    deep = rewrite(good, tmp_path / "deep.sid", lambda _: ("[" * 100_000 + "]" * 100_000).encode())
    encrypted = _encrypted(good, tmp_path / "encrypted.sid")
    with zipfile.ZipFile(encrypted) as zf:
        assert all(i.flag_bits & 1 for i in zf.infolist())
    for bad, why in ((deep, "nested too deeply"), (encrypted, "encrypted")):
        code = main(["annotate", str(hamilton), "--gallery", str(bad), "--no-dataset", "--quiet"])
        err = capfd.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith(f"speakerid: error: {bad}: ") and why in err[0], err


def test_the_embedder_mismatch_line_names_the_gallery_file(tmp_path, hamilton, capfd):
    good = tmp_path / "good.sid"
    make_gallery().save(good)
    other = tmp_path / "sface.sid"
    arrays = arrays_of(good)
    rewrite(
        good, other, with_keys(embedder="sface"), arrays={**arrays, "embeddings": arrays["embeddings"][:, :128].copy()}
    )
    code = main(["annotate", str(hamilton), "--gallery", str(other), "--no-dataset", "--quiet"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"speakerid: error: {other}: "), err


@pytest.mark.slow
def test_temp_files_of_a_killed_writer_are_removed_by_the_next_write(tmp_path, shared_data, hamilton):
    """Killed between writing a temp file and renaming it (frozen there, then SIGKILL): the next
    write into that folder removes the dead writer's temp file."""
    gallery = tmp_path / "g.sid"
    assert main(["enroll", str(two_people(shared_data, tmp_path / "people")), "--out", str(gallery), "--quiet"]) == 0
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    args = [
        "annotate",
        str(hamilton),
        "--gallery",
        str(gallery),
        "--no-dataset",
        "--json",
        str(out),
        "--fps",
        "1",
        "--end",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(speakerid_command(*args), env=stop_env("atomic-write"), stderr=subprocess.PIPE, text=True)
    wait_stopped(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(out.parent.glob(".*.tmp")) and not out.exists()
    done = run(*args)
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    assert list(out.parent.glob(".*.tmp")) == []


@pytest.mark.slow
def test_a_missing_cohort_is_said_not_silently_replaced(tmp_path, shared_data, hamilton):
    """speakerid installed without its shipped cohort file: the run still works (the gallery's own
    calibration) and says so in one line naming the missing file."""
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "speakerid", copy / "speakerid", ignore=shutil.ignore_patterns("__pycache__"))
    missing = copy / "speakerid" / "data" / "cohort-facenet.safetensors"
    missing.unlink()
    gallery = two_people(shared_data, tmp_path / "people")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    args = ["annotate", str(hamilton), "--gallery", str(gallery), "--no-dataset", "--fps", "1", "--end", "2", "--quiet"]
    done = run(*args, "--json", str(tmp_path / "out.json"), env=env, cwd=tmp_path)  # not the checkout's copy
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [ln for ln in done.stderr.splitlines() if str(missing) in ln]
    assert len(lines) == 1 and "calibration" in lines[0], done.stderr[-2000:]
