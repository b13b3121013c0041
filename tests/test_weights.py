"""The weights registry: every entry complete, every installed file the registered one, the one
downloader refusing a file whose hash is wrong, and ``speakerid models`` listing it all."""

from __future__ import annotations

import http.server
import re
import threading
from pathlib import Path

import pytest

from speakerid.cache import file_sha256
from speakerid.cli.main import main
from speakerid.errors import ModelUnavailableError
from speakerid.weights import WEIGHTS, Download, Weights, WeightsFile, download

pytestmark = pytest.mark.timeout(60)


def test_every_entry_is_complete():
    for name, entry in WEIGHTS.items():
        assert entry.name == name and entry.used_for and entry.licence and entry.transform, name
        assert all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) for f in entry.files), name
    assert WEIGHTS["facenet-casia"].research_only and WEIGHTS["facenet-casia"].default
    assert not WEIGHTS["sface"].research_only


def test_installed_files_are_the_registered_ones():
    """A rebuilt cohort or an upgraded weights package must come with its new hash."""
    here = [entry for entry in WEIGHTS.values() if entry.available()]
    assert {"facenet-casia", "sface", "yunet", "mtcnn", "silero-vad", "cohort-facenet"} <= {e.name for e in here}
    for entry in here:
        for f, path in zip(entry.files, entry.paths()):
            assert file_sha256(path) == f.sha256, entry.name


@pytest.fixture()
def server(tmp_path):
    """A plain HTTP server on the loopback address serving ``tmp_path/www``."""
    www = tmp_path / "www"
    www.mkdir()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(www))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_checks_the_hash_before_writing(server, tmp_path):
    www, url = server
    (www / "w.bin").write_bytes(b"weights")
    dest = tmp_path / "cache" / "w.bin"
    with pytest.raises(ModelUnavailableError, match="sha256"):
        download(f"{url}/w.bin", dest, "0" * 64, "toy")
    assert not dest.exists()
    download(f"{url}/w.bin", dest, file_sha256(www / "w.bin"), "toy")
    assert dest.read_bytes() == b"weights"
    with pytest.raises(ModelUnavailableError, match="download from") as err:
        download(f"{url}/missing.bin", tmp_path / "m.bin", "0" * 64, "toy")
    assert "\n" not in str(err.value)


def test_an_entry_downloads_once_then_verifies_its_cached_file(server, monkeypatch, tmp_path):
    www, url = server
    (www / "w.bin").write_bytes(b"weights")
    entry = Weights(
        "toy",
        "tests",
        (WeightsFile(Download(f"{url}/w.bin", "w.bin", "toy"), file_sha256(www / "w.bin")),),
        "MIT",
        "none",
    )
    monkeypatch.setenv("SPEAKERID_CACHE", str(tmp_path / "cache"))
    assert not entry.available()
    path = entry.path()
    assert entry.available() and path == entry.locate() and path.is_relative_to(tmp_path / "cache")
    (www / "w.bin").unlink()  # no second download
    assert entry.path() == path
    path.write_bytes(b"tampered")
    with pytest.raises(ModelUnavailableError, match="not the expected toy file"):
        entry.path()


def test_models_command_lists_every_entry_with_its_licence(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().err  # rich prints to stderr, like every speakerid report
    for name in WEIGHTS:
        assert name in out
    assert "research use only and used by default: facenet-casia" in " ".join(out.split())


def test_cli_starts_without_torch():
    """Building the parser (``speakerid --help``) must not import the model libraries."""
    import subprocess
    import sys

    code = (
        "import sys; from speakerid.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('torch', 'fiftyone', 'sklearn', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
    ).stdout
    assert "torch" not in out and "fiftyone" not in out, out
