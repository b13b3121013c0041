"""Shared fixtures: the real sample data beside the project and throwaway FiftyOne datasets."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()


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
