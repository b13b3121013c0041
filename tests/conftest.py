"""Shared fixtures: the real sample data beside the project and throwaway FiftyOne datasets.

Prerequisites (docs: README, "Tests"): ``../shared/data`` beside the checkout (videos with their
ground truth, gallery photos, LFW pairs) and, for active-speaker tests, the Light-ASD weights in
``../shared/weights/light-asd``. Everything speakerid caches during a test session (converted
weights, crops, features) goes to one temporary folder, never ``~/.cache/speakerid``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session", autouse=True)
def speakerid_cache(tmp_path_factory) -> Path:
    """``SPEAKERID_CACHE`` for the whole session (subprocesses inherit it): one temporary cache,
    so the FaceNet conversion (~20 s) runs once per session and nothing lands in the user's."""
    cache = tmp_path_factory.mktemp("speakerid-cache")
    before = os.environ.get("SPEAKERID_CACHE")
    os.environ["SPEAKERID_CACHE"] = str(cache)
    yield cache
    if before is None:
        os.environ.pop("SPEAKERID_CACHE", None)
    else:
        os.environ["SPEAKERID_CACHE"] = before


# A test that asks for one of these needs ../shared/data, Light-ASD's weights or FiftyOne's
# database: it is in the ``data`` tier, which the anywhere tier (-m "not slow and not data") leaves out.
NEEDS_DATA = {"shared_data", "hamilton", "street", "dataset_name", "light_asd_weights"}
BEYOND_THE_ANYWHERE_TIER = {"slow", "app", "data"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if NEEDS_DATA & set(getattr(item, "fixturenames", ())):
            item.add_marker("data")


@pytest.fixture(scope="session", autouse=True)
def database_owned_by_the_session(request):
    """Start FiftyOne's embedded MongoDB from this process before any test spawns a subprocess.

    The first FiftyOne process of a machine starts the database service, and the service inherits
    that process's stdout/stderr: started by a ``subprocess.run(..., capture_output=True)`` child,
    it keeps the pipes open after the child exits and ``communicate`` waits for the test's time
    limit. Owned by the session, it also lives as long as the session does.
    """
    if not any(BEYOND_THE_ANYWHERE_TIER & {m.name for m in item.iter_markers()} for item in request.session.items):
        return  # the anywhere tier: no database at all
    import fiftyone as fo

    fo.list_datasets()


@pytest.fixture(scope="session")
def light_asd_weights() -> Path:
    """``../shared/weights/light-asd`` (Light-ASD's released models); absent is a setup error."""
    folder = ROOT.parent / "shared" / "weights" / "light-asd"
    if not (folder / "finetuning_TalkSet.model").exists():
        pytest.fail(f"Light-ASD weights not found at {folder}")
    return folder


@pytest.fixture()
def no_models(monkeypatch):
    """Fail the test if the command gets as far as loading a model (checks must come first)."""
    import speakerid.batch.job
    import speakerid.pipeline

    def refuse(*_a, **_k):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(speakerid.pipeline, "load_models", refuse)
    monkeypatch.setattr(speakerid.pipeline, "models_for", refuse)
    monkeypatch.setattr(speakerid.batch.job, "models_for", refuse)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; its absence is a setup error, not a skip (CI always has it)."""
    if not (SHARED_DATA / "videos" / "short_hamilton_clip.mp4").exists():
        pytest.fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def hamilton(shared_data: Path) -> Path:
    return shared_data / "videos" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="session")
def street(shared_data: Path) -> Path:
    return shared_data / "videos" / "street_crowd_unknown.mp4"


@pytest.fixture()
def dataset_name():
    """A unique FiftyOne dataset name, deleted after the test if it was created."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    import fiftyone as fo

    if fo.dataset_exists(name):
        fo.delete_dataset(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a test whose body failed (``item.speakerid_failed``): the browser tests' ``page``
    fixture then prints what the tab did."""
    outcome = yield
    if call.when == "call" and outcome.get_result().failed:
        item.speakerid_failed = True
