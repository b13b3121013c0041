"""The browser suite's harness: the README's dataset plus the street clip, ``speakerid app`` and
Debian's Chromium, with every plugin error turned into a test failure.

Import the fixtures into a test module (``from app_harness import *  # noqa: F403``: ``__all__``
is the fixtures) and the helpers by name, then use:

- ``app_dataset`` (session): ``speakerid annotate sample_videos/short_hamilton_clip.mp4 --gallery
  sample_videos/gallery --dataset <new> --json ...`` (the README) then the same for
  ``../shared/data/videos/street_crowd_unknown.mp4``: two videos, one dataset (deleted afterwards).
- ``app_server`` (session): ``speakerid app --dataset <it> --port <free>`` run outside the checkout;
  ``.url``, ``.log_text()``.
- ``page`` (per test): a fresh tab of one headless Chromium (``/usr/bin/chromium``, no download).
  After the test it fails if the App showed or logged a plugin error: an operator/panel
  execution that returned an error, an uncaught page error or console error (the App's own
  noise excepted: ``BENIGN_CONSOLE``, ``BENIGN_PAGE_ERRORS``), a traceback in the server log,
  the panel's error view or the App's error page. ``assert_no_app_errors(page)`` checks the same mid-test.
- ``shots`` (session): a temporary folder for screenshots.
- ``registered_plugin`` (module): the plugin installed into a temporary plugins dir that this
  process's FiftyOne loads (``fiftyone.operators.execute_operator`` finds our operators);
  ``plugin_registered(folder)`` is the same as a context manager.

What a user does in the App (open the grid, a panel, the modal; seek; wait) is in ``app_pages``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from app_data import README_GALLERY, ROOT, annotate_readme, speakerid_command
from app_pages import PANEL, UI_TIMEOUT_MS, VIEWPORT

# the fixtures: `from app_harness import *`
__all__ = ["app_dataset", "app_server", "browser", "page", "shots", "registered_plugin"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
STREET_VIDEO = (ROOT.parent / "shared" / "data" / "videos" / "street_crowd_unknown.mp4").resolve()
SERVER_START_S = 300
# Console errors the App prints on its own, with or without our plugin: no network (analytics,
# fonts), media range requests cancelled by seeking. Anything else fails the test.
BENIGN_CONSOLE = (
    "net::ERR_",
    "Failed to load resource",
    "segment.io",
    "segment.com",
    "analytics",
    "The play() request was interrupted",
    "Download the React DevTools",
    "AbortError",
    "Failed to fetch",  # the App's own calls out (no network here); ours are checked as responses
    "react-virtuoso",  # "Zero-sized element" of the App's own lists
)
# Uncaught errors the App's own router throws while a route still loads (its `get()` on a
# loading entry, seen when a view changes under a busy machine); it renders nothing broken,
# and a broken render is caught by `page_problems`. Any other page error fails the test.
BENIGN_PAGE_ERRORS = ("entry is loading",)
SERVER_ERROR_MARKS = ("Traceback (most recent call last)", " ERROR ", "ERROR:", "Exception in ASGI application")


@dataclass
class AppDataset:
    """The dataset of the suite: README sample + street clip, annotated by the CLI."""

    name: str
    json: dict  # the README's --json output for the sample clip
    cache: Path
    env: dict
    videos: dict[str, Path] = field(default_factory=dict)  # file name -> path


def build_app_dataset(tmp: Path) -> AppDataset:
    """The README's ``speakerid annotate`` then ``speakerid annotate <street clip>`` into it."""
    if not STREET_VIDEO.exists():
        pytest.fail(f"shared test data not found: {STREET_VIDEO}")
    readme = annotate_readme(tmp)
    run = subprocess.run(
        speakerid_command(
            "annotate", str(STREET_VIDEO), "--gallery", README_GALLERY, "--dataset", readme.name, "--quiet"
        ),
        cwd=ROOT,
        env=readme.env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    videos = {p.name: p for p in (ROOT / "sample_videos" / "short_hamilton_clip.mp4", STREET_VIDEO)}
    return AppDataset(readme.name, readme.json, readme.cache, readme.env, videos)


class AppServer:
    """``speakerid app`` in a subprocess, its output in a log file."""

    def __init__(self, dataset: AppDataset, folder: Path, extra_env: dict | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "app.log"
        env = {**dataset.env, "FIFTYONE_PLUGINS_DIR": str(folder / "plugins"), **(extra_env or {})}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                speakerid_command("app", "--dataset", dataset.name, "--port", str(self.port)),
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_S
        while "FiftyOne App:" not in self.log_text() or not _answers(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"speakerid app did not start: {self.log_text()[-2000:]}")
            time.sleep(0.5)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def mark(self) -> int:
        """The log's length now: ``errors(mark)`` reports only what came after."""
        return len(self.log_text())

    def errors(self, since: int = 0) -> list[str]:
        """Tracebacks and ERROR lines the server logged after ``since``."""
        text = self.log_text()[since:]
        return [text[max(0, i - 200) : i + 1500] for i in _find_all(text, SERVER_ERROR_MARKS)]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class PageWatch:
    """Everything a tab reports that means something broke: operator/panel executions that
    returned an error, HTTP 5xx, uncaught page errors and console errors."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        self.trail: list[str] = []  # the operators the tab ran, printed when its test fails
        self._t0 = time.monotonic()
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, req) -> None:
        if "/operators/execute" not in req.url or req.method != "POST":
            return
        try:
            data = json.loads(req.post_data or "{}")
        except ValueError:
            return
        params = {k: v for k, v in (data.get("params") or {}).items() if isinstance(v, (str, int, float))}
        stages = [s.get("_cls", "?").rsplit(".", 1)[-1] for s in data.get("view") or [] if isinstance(s, dict)]
        self.trail.append(
            f"{time.monotonic() - self._t0:6.1f}s {data.get('operator_uri')} {params} "
            f"view={stages} sample={data.get('current_sample')}"
        )

    def _page_error(self, exc) -> None:
        if not any(b in str(exc) for b in BENIGN_PAGE_ERRORS):
            self.problems.append(f"page error: {exc}")

    def _console(self, msg) -> None:
        if msg.type == "error" and not any(b in msg.text for b in BENIGN_CONSOLE):
            self.problems.append(f"console error: {msg.text[:1500]}")

    def _response(self, resp) -> None:
        if resp.status >= 500:
            self.problems.append(f"HTTP {resp.status} from {resp.url}")
        if "/operators/execute" not in resp.url:
            return
        try:
            body = resp.text()
        except Exception:  # noqa: BLE001 - the tab closed or navigated before the body came
            return
        for line in body.splitlines() or [body]:
            error = _operator_error(line)
            if error:
                self.problems.append(f"operator error ({resp.url.rsplit('/', 1)[-1]}): {error[-1500:]}")


def _operator_error(line: str) -> str | None:
    """The error of one operator response (or one line of a generator's stream), if any."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    body = data.get("body") if isinstance(data.get("body"), dict) else {}
    error = data.get("error") or body.get("error")
    if isinstance(error, dict):
        error = error.get("message") or json.dumps(error)
    return str(error) if error else None


def page_problems(page) -> list[str]:
    """What the page shows as broken right now: a traceback in the panel, the App's error page."""
    problems = []
    panel = page.locator(PANEL)
    if panel.count() and panel.first.is_visible():
        text = panel.first.inner_text()
        if "Traceback" in text:
            problems.append(f"panel error: {text[:1500]}")
    body = page.locator("body").inner_text().strip() if page.locator("body").count() else ""
    if body.startswith("Error:") and page.get_by_text("Trace", exact=True).count():
        problems.append(f"App error page: {body[:1500]}")  # e.g. "sample with id ... not found"
    return problems


def assert_no_app_errors(page) -> None:
    """Fail now if the tab, the panel or the server reported a plugin error so far."""
    watch: PageWatch = page._speakerid_watch
    server: AppServer = page._speakerid_server
    problems = watch.problems + server.errors(page._speakerid_mark) + page_problems(page)
    if problems:
        pytest.fail("the App reported errors:\n" + "\n---\n".join(problems[:10]))


# --- fixtures -----------------------------------------------------------------------------------
@contextmanager
def plugin_registered(folder: Path):
    """FiftyOne in this process loads the plugin from ``folder``, where it is installed as
    ``speakerid plugin install`` does; the previous plugins dir is restored afterwards."""
    import fiftyone as fo

    from speakerid import plugin_install

    before = fo.config.plugins_dir
    plugin_install.install(folder)
    fo.config.plugins_dir = str(folder)
    try:
        yield folder
    finally:
        fo.config.plugins_dir = before


@pytest.fixture(scope="module")
def registered_plugin(tmp_path_factory):
    with plugin_registered(tmp_path_factory.mktemp("fo-plugins")) as folder:
        yield folder


# Every test module imports these fixtures, and pytest then holds one definition per module: the
# session's dataset, App server and browser are made once here and shared by all of them (two
# Playwright instances in one process fail, two datasets would annotate twice).
_SHARED: dict[str, tuple[Any, Callable[[], None]]] = {}


def _shared(key: str, make: Callable[[], tuple[Any, Callable[[], None]]]) -> Any:
    if key not in _SHARED:
        _SHARED[key] = make()
    return _SHARED[key][0]


def _release(key: str) -> None:
    """Close a shared object at the first session teardown (all tests are done by then)."""
    entry = _SHARED.pop(key, None)
    if entry is not None:
        entry[1]()


@pytest.fixture(scope="session")
def app_dataset(tmp_path_factory):
    def make():
        import fiftyone as fo

        data = build_app_dataset(tmp_path_factory.mktemp("app-dataset"))
        return data, lambda: fo.dataset_exists(data.name) and fo.delete_dataset(data.name)

    yield _shared("dataset", make)
    _release("dataset")


@pytest.fixture(scope="session")
def app_server(app_dataset, tmp_path_factory):
    def make():
        server = AppServer(app_dataset, tmp_path_factory.mktemp("app-server"))
        return server, server.stop

    yield _shared("server", make)
    _release("server")


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's Chromium (no download), headless, one fresh profile; missing browser is a failure."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (the CI script does)")

    def make():
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        context.set_default_timeout(UI_TIMEOUT_MS)

        def close() -> None:
            context.close()
            pw.stop()

        return context, close

    yield _shared("browser", make)
    _release("browser")


@pytest.fixture()
def page(browser, app_server, shots, request):
    """A new tab; after the test, any plugin error it saw (tab, panel, server log) fails it. A
    failed test prints what the tab ran and where it was, beside a screenshot."""
    tab = browser.new_page()
    tab._speakerid_watch = PageWatch(tab)
    tab._speakerid_server = app_server
    tab._speakerid_mark = app_server.mark()
    try:
        yield tab
        if getattr(request.node, "speakerid_failed", False):
            _report_failure(tab, shots / f"failed-{request.node.name}.png")
        assert_no_app_errors(tab)
    finally:
        tab.close()


def _report_failure(tab, shot: Path) -> None:
    """Print the failed tab's operator trail and URL, and save what it showed."""
    try:
        tab.screenshot(path=str(shot))
    except Exception as exc:  # noqa: BLE001 - a crashed tab: the trail still helps
        shot = f"no screenshot ({exc})"
    trail = "\n  ".join(tab._speakerid_watch.trail[-40:])
    print(f"\nfailed at {tab.url}; screenshot {shot}\noperators it ran:\n  {trail}")


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _find_all(text: str, marks: tuple[str, ...]) -> list[int]:
    return sorted(i for m in marks for i in _positions(text, m))


def _positions(text: str, mark: str) -> list[int]:
    out, i = [], text.find(mark)
    while i >= 0:
        out.append(i)
        i = text.find(mark, i + 1)
    return out


def unique_name(prefix: str = "test-app") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
