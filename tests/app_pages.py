"""What a user does in the App, as the browser tests do it: open the grid, a panel, the modal; seek
the modal's video; click the grid's action bar; and wait on what the App renders.

Every helper clicks or presses like a user. Timeouts are sized for a loaded 2-core machine:
waits poll what the App renders, and keyboard seeks re-press until the App's counter moves.
"""

from __future__ import annotations

import re
import time
from typing import Protocol

import pytest

UI_TIMEOUT_MS = 180_000  # one App action on a 2-core machine with another CPU job running
VIEWPORT = {"width": 1600, "height": 1000}
PANEL = '[data-cy="panel-content-speakers_panel"]'


class Server(Protocol):
    url: str


def open_dataset(page, server: Server, name: str, query: str = "") -> None:
    """Go to the dataset's grid, as a fresh visit: the App server keeps the session's view,
    open sample and panels (an earlier test's clips, say), so those are cleared first; then ``query``
    (e.g. ``?id=<sample>`` opens that sample in the modal)."""
    page.goto(f"{server.url}/datasets/{name}", wait_until="domcontentloaded")
    page.locator('[data-cy="panel-tab-samples"]').wait_for()
    page.wait_for_timeout(1000)
    for text in ("Dismiss", "Disable", "Got it"):  # first-visit banners and tips
        button = page.get_by_text(text, exact=True)
        if button.count():
            button.first.dispatch_event("click")
    page.keyboard.press("Escape")  # a popover left open by a tip
    if page.locator('[data-cy="modal"]').count():
        close_modal(page)
    _close_panels(page)
    # the session's view (an earlier test's patches, say) shows once the grid has counted it
    counts, stages = page.locator('[data-cy="entry-counts"]').first, page.locator('[data-cy="btn-view-stage-delete"]')
    counts.wait_for()

    def cleared() -> bool:
        if stages.count():  # clear it (again, if a loaded App dropped the first click)
            page.locator('[data-cy="btn-clear-view-bar"]').first.dispatch_event("click")
            page.wait_for_timeout(1000)
            return False
        return bool(re.search(r"\bsamples?\b", counts.text_content() or ""))

    wait_until(cleared, "the grid to show the dataset's samples, no view stages")
    if query:
        page.goto(f"{server.url}/datasets/{name}{query}", wait_until="domcontentloaded")
        page.locator('[data-cy="panel-tab-samples"]').wait_for()


def _close_panels(page) -> None:
    """Close the panels an earlier test left open beside the grid (the session keeps them)."""
    closers = page.locator('[data-cy^="panel-tab-"]:not([data-cy="panel-tab-samples"]) [title="Close"]')
    for _ in range(8):
        if not closers.count():
            return
        closers.first.dispatch_event("click")
        page.wait_for_timeout(300)


def open_panel(page, server: Server, name: str):
    """The grid with the Speakers panel opened from the **+** tab menu; returns the panel."""
    open_dataset(page, server, name)
    page.locator('[data-cy="new-panel-btn"]').first.dispatch_event("click")
    page.get_by_text("Speakers", exact=True).first.click()
    panel = page.locator(PANEL)
    panel.get_by_role("button", name="Refresh").wait_for()
    return panel


def open_modal(page, server: Server, name: str, sample_id: str) -> None:
    """The sample open in the modal (as a click on its tile does), its video loaded."""
    open_dataset(page, server, name, f"?id={sample_id}")
    page.locator('[data-cy="modal"]').wait_for()
    sample_tab = page.locator('[data-cy="modal"] [data-cy="panel-tab-fo-sample-modal-plugin"]')
    if sample_tab.count():  # the session's modal may show a panel's tab (an earlier test's)
        sample_tab.first.click()
    page.locator('[data-cy="looker-video-time"]').wait_for(state="attached")


def close_modal(page) -> None:
    """Close the sample modal, if open, as a user does: a click beside it."""
    wait_until(
        lambda: page.mouse.click(8, VIEWPORT["height"] // 2) or not page.locator('[data-cy="modal"]').count(),
        "the modal to close",
        every_s=1.0,
    )


def modal_frame(page) -> int | None:
    """The frame number the modal's counter shows (``Use frame number`` on), or None."""
    text = page.locator('[data-cy="looker-video-time"]').first.text_content() or ""
    head = text.split("/")[0].strip()
    return int(head) if head.isdigit() else None


def use_frame_numbers(page) -> None:
    """Switch the modal's counter from time to frame numbers (its settings menu)."""
    looker = page.locator('[data-cy="modal-looker-container"]')
    looker.hover()
    page.locator('[data-cy="looker-controls-settings"]').dispatch_event("click")
    page.locator('[data-cy="looker-checkbox-Use frame number"]').dispatch_event("click")
    page.locator('[data-cy="looker-controls-settings"]').dispatch_event("click")
    wait_until(lambda: modal_frame(page) is not None, "the modal's counter shows frame numbers")


def seek_modal(page, target: int, timeout_s: float = UI_TIMEOUT_MS / 1000) -> None:
    """Step the modal video to frame ``target`` with the App's own keys (``.``/``,``), reading the
    counter after each press and pressing again when a press was dropped (the App ignores keys
    until the video has loaded, and a loaded machine drops them while a seek still decodes)."""
    looker = page.locator('[data-cy="modal-looker-container"]')
    use_frame_numbers(page)
    deadline = time.monotonic() + timeout_s
    while (current := modal_frame(page)) != target:
        if time.monotonic() > deadline:
            pytest.fail(f"the modal's counter is at {current}, seeking to {target} for {timeout_s:.0f} s")
        looker.hover()
        page.keyboard.press("." if current is None or current < target else ",")
        moved = time.monotonic() + 2.0
        while modal_frame(page) == current and time.monotonic() < moved:
            page.wait_for_timeout(40)


def run_grid_action(page, label: str) -> None:
    """Click our button in the grid's action bar (or under its "more" menu)."""
    page.locator('[data-cy="fo-grid-actions"]').get_by_text(label, exact=True).first.dispatch_event("click")


def wait_until(check, what: str, timeout_s: float = UI_TIMEOUT_MS / 1000, every_s: float = 0.25):
    """Poll ``check()`` until it returns something truthy (returned); fail saying ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)
