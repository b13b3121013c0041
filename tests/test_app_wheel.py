"""The App plugin ships in the wheel: build it, install it into a fresh virtual environment, and
the installed ``speakerid`` finds, installs and registers its own plugin (no checkout needed)."""

from __future__ import annotations

import os
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


def test_wheel_install_gives_a_working_plugin(tmp_path):
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
    _run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)])
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # no checkout on the path
        "SPEAKERID_CACHE": str(tmp_path / "cache"),
        "FIFTYONE_PLUGINS_DIR": str(tmp_path / "fo-plugins"),
    }
    out = _run([str(speakerid), "plugin", "path"], cwd=tmp_path, env=env).stdout
    source = Path(out.splitlines()[0])
    assert source.is_relative_to(venv) and (source / "fiftyone.yml").is_file()  # the wheel's copy
    assert "not installed" in out
    _run([str(speakerid), "plugin", "install"], cwd=tmp_path, env=env)
    out = _run([str(speakerid), "plugin", "path"], cwd=tmp_path, env=env).stdout
    assert f"FiftyOne finds it at {tmp_path / 'fo-plugins' / 'speakerid'}" in out
    check = (
        "import fiftyone.plugins as fop; from fiftyone.plugins.context import PluginContext; "
        "p = next(p for p in fop.list_plugins() if p.name == '@speakerid/speakerid'); "
        "c = PluginContext(p); c.register_all(); assert not c.errors, c.errors; "
        "print(sorted(op.config.name for op in c.instances))"
    )
    registered = _run([str(python), "-c", check], cwd=tmp_path, env=env).stdout
    assert "name_cluster" in registered and "speakers_panel" in registered
