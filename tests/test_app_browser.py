"""End to end in a real browser: the App server with our plugin, Debian's Chromium via Playwright.

The sample video is annotated with the sample gallery (speakerid.pipeline + the FiftyOne writer),
the App server is started on 127.0.0.1 with FIFTYONE_PLUGINS_DIR pointing at plugins/, and the
test opens the Speakers panel like a user would, checks it lists the gallery and the speakers
found, clicks a timeline segment, and saves the screenshot used in the docs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "img" / "speakers_panel.png"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 120
UI_TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """The sample clip annotated with the sample gallery into a fresh persistent dataset."""
    import fiftyone as fo

    from speakerid.identity.enroll import enroll_folder
    from speakerid.labels.fiftyone_writer import write_video_result
    from speakerid.pipeline import AnnotateSettings, annotate_video, load_models

    # 2 fps keeps the run short; the threshold is the CLI's --threshold, fixed so the names shown do
    # not depend on how the small sample gallery calibrates.
    settings = AnnotateSettings(fps=2.0, threshold=0.5)
    models = load_models(settings)
    gallery, _ = enroll_folder(ROOT / "sample_videos" / "gallery", models.detector, models.embedder)
    path = tmp_path_factory.mktemp("gallery") / "sample.sid"
    gallery.save(path)
    result = annotate_video(ROOT / "sample_videos" / "short_hamilton_clip.mp4", gallery, settings, models)
    name = f"test-{uuid.uuid4().hex[:8]}"
    ds = fo.Dataset(name)
    ds.persistent = True  # the App server is another process
    try:
        write_video_result(ds, result)
        yield name, path, gallery.counts(), sorted({c.label for c in ds.first()["speakers"].classifications})
    finally:
        fo.delete_dataset(name)


@pytest.fixture(scope="module")
def app_url(annotated, tmp_path_factory):
    """``python -m fiftyone.server.main`` on a free 127.0.0.1 port, loading plugins from plugins/."""
    _, gallery_path, _, _ = annotated
    port = free_port()
    env = {**os.environ, "FIFTYONE_PLUGINS_DIR": str(ROOT / "plugins"), "SPEAKERID_GALLERY": str(gallery_path),
           "FIFTYONE_DO_NOT_TRACK": "true"}
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "fiftyone.server.main", "--address", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"App server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    """Debian's Chromium (no download), headless, fresh profile; missing browser is a failure."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (the CI script does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def _dismiss_popups(page) -> None:
    """The App's first-visit banners would cover the screenshot."""
    for text in ("Dismiss", "Disable"):
        button = page.get_by_text(text, exact=True)
        if button.count():
            button.first.click()


def test_speakers_panel_in_browser(annotated, app_url, browser_page):
    name, _, people, speakers = annotated
    page = browser_page
    page.goto(f"{app_url}/datasets/{name}", wait_until="domcontentloaded")
    page.locator('[data-cy="panel-tab-samples"]').wait_for()
    _dismiss_popups(page)
    page.locator('[data-cy="new-panel-btn"]').first.click()
    page.get_by_text("Speakers", exact=True).first.click()
    panel = page.locator('[data-cy="panel-content-speakers_panel"]')
    panel.get_by_text("Screen time in the current view").wait_for()
    timeline = panel.get_by_text("Speaker timeline: short_hamilton_clip.mp4")
    timeline.wait_for()
    for person, count in people.items():  # the gallery table: name (reference faces)
        panel.get_by_role("cell", name=f"{person} ({count})", exact=True).wait_for()
    for speaker in speakers:  # screen time (and timeline) rows
        assert panel.get_by_role("cell", name=speaker, exact=True).count() >= 1, speaker
    thumbs = panel.locator("img[src*='/media?filepath=']")
    assert thumbs.count() == len(people)
    assert all(thumbs.nth(i).evaluate("img => img.complete && img.naturalWidth > 0") for i in range(thumbs.count()))
    page.wait_for_timeout(500)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    # clicking a timeline row turns the grid into that one clip
    first_segment = panel.locator("table").first.locator("tbody tr").first
    first_segment.click()
    page.get_by_text("1 clip", exact=False).first.wait_for()
