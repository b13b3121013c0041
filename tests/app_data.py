"""The dataset a new user has after the README: the sample clip annotated with the sample gallery
folder by the real ``speakerid annotate`` command, run from the repository root.

Everything speakerid writes (converted weights, the enrolled gallery, crops, frame pictures) goes
to the session's temporary cache (conftest), else a temporary one; the dataset is deleted
afterwards by its fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README_VIDEO = "sample_videos/short_hamilton_clip.mp4"
README_GALLERY = "sample_videos/gallery"


@dataclass
class ReadmeDataset:
    name: str
    json: dict
    cache: Path
    env: dict


def speakerid_command(*args: str) -> list[str]:
    """The ``speakerid`` console command of this interpreter."""
    return [sys.executable, "-m", "speakerid.cli.main", *args]


def annotate_readme(tmp: Path) -> ReadmeDataset:
    """``speakerid annotate sample_videos/short_hamilton_clip.mp4 --gallery sample_videos/gallery
    --dataset <new name> --json <tmp>`` from the repository root."""
    name = f"test-readme-{uuid.uuid4().hex[:8]}"
    cache, out = Path(os.environ.get("SPEAKERID_CACHE") or tmp / "cache"), tmp / "demo.json"
    env = {**os.environ, "SPEAKERID_CACHE": str(cache), "FIFTYONE_DO_NOT_TRACK": "true"}
    run = subprocess.run(
        speakerid_command(
            "annotate", README_VIDEO, "--gallery", README_GALLERY, "--dataset", name, "--json", str(out), "--quiet"
        ),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return ReadmeDataset(name, json.loads(out.read_text()), cache, env)


def on_own_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` on a thread of its own, run to completion.

    A browser test's Playwright keeps an event loop running on the main thread for the rest of
    the session; FiftyOne then only schedules its async work (operators, queued delegated runs)
    as a Task on that loop (for notebooks) instead of running it, so later tests would read a
    result that never came.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def execute_operator(uri: str, ctx: dict) -> Any:
    """``fiftyone.operators.execute_operator``, run to completion (:func:`on_own_thread`)."""
    import fiftyone.operators as foo

    return on_own_thread(foo.execute_operator, uri, ctx=ctx)
