"""Regenerate ``docs/img/speakers_panel.png``: what a new user sees after the README's steps.

From the repository root it runs the README's commands, with a fresh speakerid cache::

    speakerid annotate sample_videos/short_hamilton_clip.mp4 --gallery sample_videos/gallery \\
        --dataset demo --json <tmp>/demo.json
    speakerid app --dataset demo

then opens the App in Debian's Chromium (headless, via Playwright), opens the Speakers panel from
the **+** next to the Samples tab, clicks **Find recurring strangers** and saves a screenshot.

    python scripts/readme_screenshot.py                 # writes docs/img/speakers_panel.png
    python scripts/readme_screenshot.py --out /tmp/x.png --keep

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``) and the test extras (Playwright).
The dataset is deleted at the end unless ``--keep``; an existing dataset of that name is refused.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1600, "height": 1200}
TIMEOUT_MS = 180_000


def speakerid(*args: str) -> list[str]:
    return [sys.executable, "-m", "speakerid.cli.main", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_app(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"speakerid app exited: {log.read_text()[-2000:]}")
        if "FiftyOne App:" in log.read_text():
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                pass
        time.sleep(0.5)
    sys.exit(f"speakerid app did not start in {timeout_s:.0f} s")


def screenshot(url: str, dataset: str, out: Path, profile: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            viewport=VIEWPORT,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{url}/datasets/{dataset}", wait_until="domcontentloaded")
        page.locator('[data-cy="panel-tab-samples"]').wait_for()
        page.wait_for_timeout(1000)
        for text in ("Dismiss", "Disable"):  # first-visit banners
            banner = page.get_by_text(text, exact=True)
            if banner.count():
                banner.first.dispatch_event("click")
        page.locator('[data-cy="new-panel-btn"]').first.click()
        page.get_by_text("Speakers", exact=True).first.click()
        panel = page.locator('[data-cy="panel-content-speakers_panel"]')
        panel.get_by_role("button", name="Find recurring strangers").click()
        panel.locator("img[src*='/crops/']").first.wait_for()
        panel.locator("img[src*='/thumbnails/']").first.wait_for()
        page.wait_for_timeout(3000)  # images and plots settle
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dataset", default="demo", help="dataset name, as in the README (default: demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "speakers_panel.png")
    parser.add_argument("--keep", action="store_true", help="keep the dataset afterwards")
    args = parser.parse_args()
    import fiftyone as fo

    if fo.dataset_exists(args.dataset):
        sys.exit(f"dataset {args.dataset!r} exists already: choose another --dataset")
    with tempfile.TemporaryDirectory(prefix="speakerid-readme-") as tmp:
        tmp = Path(tmp)
        env = {
            **os.environ,
            "SPEAKERID_CACHE": str(tmp / "cache"),
            "FIFTYONE_PLUGINS_DIR": str(tmp / "plugins"),
            "FIFTYONE_DO_NOT_TRACK": "true",
        }
        try:
            subprocess.run(
                speakerid(
                    "annotate",
                    "sample_videos/short_hamilton_clip.mp4",
                    "--gallery",
                    "sample_videos/gallery",
                    "--dataset",
                    args.dataset,
                    "--json",
                    str(tmp / "demo.json"),
                ),
                cwd=ROOT,
                env=env,
                check=True,
            )
            port, log = free_port(), tmp / "app.log"
            with open(log, "w") as out:
                app = subprocess.Popen(
                    speakerid("app", "--dataset", args.dataset, "--port", str(port)),
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                url = f"http://127.0.0.1:{port}"
                wait_for_app(url, app, log)
                screenshot(url, args.dataset, args.out.resolve(), tmp / "profile")
            finally:
                app.terminate()
                app.wait(timeout=30)
        finally:
            if not args.keep and fo.dataset_exists(args.dataset):
                fo.delete_dataset(args.dataset)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
