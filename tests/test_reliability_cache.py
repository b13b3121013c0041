"""Cache entries are trusted by their content hash, never by their size: a same-size corruption
of the cached FaceNet ONNX (what every annotation runs) is seen by `speakerid models` and rebuilt
by the next `speakerid annotate`, whose labels then match an undamaged run's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from app_data import speakerid_command

from speakerid.faces.facenet_convert import casia_weights
from speakerid.faces.onnx_export import onnx_path_for


def run(*args: str, cache) -> subprocess.CompletedProcess:
    env = {**os.environ, "SPEAKERID_CACHE": str(cache), "COLUMNS": "400"}  # rich: one line per row
    return subprocess.run(speakerid_command(*args), env=env, capture_output=True, text=True, timeout=900)


def speakers(path) -> list:
    result = json.loads(path.read_text())  # one video: one object
    return [(s["speaker"], round(s["start"], 2)) for s in result["segments"]]


@pytest.mark.slow
def test_a_same_size_corruption_of_the_cached_onnx_is_found_and_rebuilt(tmp_path, hamilton, shared_data):
    """Issue 21 item 4."""
    weights, _ = casia_weights()
    onnx = onnx_path_for(weights)  # the session's cache: converted and exported once
    cache = tmp_path / "cache"
    shutil.copytree(weights.parent, cache / "v1" / "weights", ignore=shutil.ignore_patterns("light-asd"))
    args = [
        "annotate",
        str(hamilton),
        "--gallery",
        str(shared_data / "gallery"),
        "--no-dataset",
        "--fps",
        "2",
        "--end",
        "4",
        "--quiet",
    ]
    done = run(*args, "--json", str(tmp_path / "before.json"), cache=cache)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "lin_manuel_miranda" in {s for s, _ in speakers(tmp_path / "before.json")}

    copy = cache / "v1" / "weights" / onnx.name
    size = copy.stat().st_size
    with open(copy, "r+b") as fh:  # zero 1 MiB of weights in the middle: same size, other network
        fh.seek(size // 2)
        fh.write(bytes(1 << 20))
    assert copy.stat().st_size == size

    listed = run("models", cache=cache)
    row = next(ln for ln in listed.stderr.splitlines() if "facenet-casia" in ln)
    assert listed.returncode == 0 and "damaged" in row, listed.stderr[-3000:]

    done = run(*args, "--json", str(tmp_path / "after.json"), cache=cache)
    assert done.returncode == 0, done.stderr[-2000:]
    assert speakers(tmp_path / "after.json") == speakers(tmp_path / "before.json")
    assert copy.read_bytes() == onnx.read_bytes()  # exported again, identical
    assert "damaged" not in run("models", cache=cache).stderr
