"""Adding videos from the App and delegated runs with progress, through FiftyOne's machinery.

``add_videos`` (a path or folder on the App's machine, added and annotated in one operator) and
``annotate_videos`` scheduled as a delegated run, executed by FiftyOne's delegated service as a
worker does (``speakerid.delegated_worker``, run by ``speakerid app``), reporting progress
within the video (not 0 then 100 %).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from app_data import execute_operator, on_own_thread
from app_harness import registered_plugin  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.app]
PLUGIN = "@speakerid/speakerid"
README_GALLERY = str(Path(__file__).resolve().parents[1] / "sample_videos" / "gallery")


def run(name: str, dataset: str, **ctx):
    return execute_operator(f"{PLUGIN}/{name}", {"dataset": dataset, **ctx})


def test_input_problems_are_one_line_and_name_the_path(tmp_path, hamilton):
    from speakerid.labels.add_videos import input_problem

    assert input_problem(str(hamilton)) is None
    assert input_problem(str(hamilton.parent)) is None  # a folder of videos
    assert "not found" in input_problem(str(tmp_path / "nope.mp4"))
    (tmp_path / "notes.txt").write_text("x")
    assert "not a video file" in input_problem(str(tmp_path / "notes.txt"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no video files" in input_problem(str(empty))


def test_add_a_folder_of_videos_annotates_them_once(registered_plugin, dataset_name, hamilton, tmp_path):
    import fiftyone as fo
    from fiftyone.operators.executor import ExecutionError

    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "clip.mp4").symlink_to(hamilton)
    fo.Dataset(dataset_name).persistent = True  # a new, empty dataset opened in the App
    params = {"path": str(folder), "gallery": README_GALLERY, "fps": 2.0}
    out = run("add_videos", dataset_name, params=params)
    progress = [r["params"] for r in out.executor.to_json()["requests"] if r["operator_uri"] == "set_progress"]
    ds = fo.load_dataset(dataset_name)
    assert len(ds) == 1 and ds.media_type == "video"
    sample = ds.first()
    assert sample["speaker_segments"] is not None and len(sample["face_tracks"].detections) > 0
    assert "lin_manuel_miranda" in {c.label for c in sample["speakers"].classifications}
    fractions = [p["progress"] for p in progress]
    assert any(0 < f < 1 for f in fractions) and fractions[-1] == 1.0  # within the video, not 0 -> 100
    assert any("frames analysed" in p["label"] for p in progress)

    run("add_videos", dataset_name, params=params)  # again: the same sample, skipped
    assert len(fo.load_dataset(dataset_name)) == 1
    with pytest.raises(ExecutionError, match="not found"):
        run("add_videos", dataset_name, params={**params, "path": str(tmp_path / "missing.mp4")})


def test_scheduled_run_is_executed_by_speakerids_worker_with_progress(registered_plugin, dataset_name, hamilton):
    import fiftyone as fo
    from fiftyone.operators.delegated import DelegatedOperationService

    from speakerid.delegated_worker import run_queued

    ds = fo.Dataset(dataset_name)
    ds.persistent = True
    ds.add_sample(fo.Sample(filepath=str(hamilton)))
    queued = run(
        "annotate_videos",
        dataset_name,
        request_delegation=True,
        params={"gallery": README_GALLERY, "fps": 5.0, "skip_done": False},  # 46 frames: 3 batches
    )
    service, op_id = DelegatedOperationService(), queued.result["id"]
    seen, done = [], threading.Event()

    def watch() -> None:  # what the App's "Runs" list shows while the worker runs
        while not done.is_set():
            status = service.get(op_id).status
            if status is not None and status.progress is not None:
                seen.append((status.progress, status.label))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert on_own_thread(run_queued, lambda: {dataset_name}) == 1  # what `speakerid app` runs in its worker thread
    finally:
        done.set()
        watcher.join()
    assert service.get(op_id).run_state == "completed"
    assert any(0 < p < 1 and "frames analysed" in (label or "") for p, label in seen), seen
