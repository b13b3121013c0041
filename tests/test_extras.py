"""A lean install (no extras) names the extra a command lacks; the packaging agrees with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from speakerid.extras import EXTRA_OF_PACKAGE, EXTRAS, missing_extra

ROOT = Path(__file__).resolve().parents[1]


def test_the_missing_package_and_the_command_choose_the_extra():
    assert missing_extra("torch.nn", "train-video") == (
        "train-video needs torch, which is not installed: pip install 'speakerid[video]'"
    )
    assert "speakerid[train]" in missing_extra("torch", "explain")
    assert "speakerid[asd]" in missing_extra("silero_vad", "annotate")
    assert "speakerid[video]" in missing_extra("sentence_transformers", "search")  # whatever the command
    assert missing_extra("torch", "some-new-command").endswith("'speakerid[all]'")
    assert missing_extra("facenet_pytorch", "verify").endswith("pip install --no-deps facenet-pytorch==2.6.0")
    assert missing_extra("yaml", "annotate") is None  # not ours to explain: the traceback stays
    assert missing_extra(None, "annotate") is None


def test_every_extra_named_exists_in_pyproject_and_the_core_has_no_torch():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(EXTRAS) | set(EXTRA_OF_PACKAGE.values()) <= set(extras)
    core = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in project["dependencies"]}
    for package in ("torch", "torchvision", "sentence-transformers", "captum", "silero-vad", "ray"):
        assert package not in core, package
        assert any(re.match(rf"{package}\b", r) for extra in extras.values() for r in extra), package
