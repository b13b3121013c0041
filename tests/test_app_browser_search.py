"""Search in a real browser, as a user does it: compute video embeddings, then search by text.

On the harness's dataset (README sample + street clip, ``speakerid app``, Debian Chromium; any
plugin error fails the test). Asserts on what the App renders: the results dialog's message,
evidence and frame ranges, and the grid after the search.
"""

from __future__ import annotations

import re

import fiftyone as fo
import pytest
from app_harness import *  # noqa: F403 - the harness's fixtures
from app_pages import open_dataset, run_grid_action, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.app]
PROMPT = '[data-cy="operators-prompt-modal"]'
NOTHING = "a dog playing piano"


def page_dataset(page) -> str:
    """The dataset the tab shows (from its address)."""
    return page.url.split("/datasets/")[1].split("?")[0].split("/")[0]


def _search(page, query: str, shots):
    """Open **Search speakers** on the whole dataset, type ``query``, execute; returns the results dialog."""
    n = len(fo.load_dataset(page_dataset(page)))
    page.locator('[data-cy="entry-counts"]', has_text=re.compile(rf"\b{n}\s+samples\b")).wait_for()
    run_grid_action(page, "Search speakers")
    page.locator(PROMPT).locator('input[type="string"]').first.fill(query)  # the Query field
    page.wait_for_timeout(500)  # the form validates as typed
    page.get_by_role("button", name="Execute").click()
    dialog = page.locator(PROMPT).filter(has_text="Search results")
    try:
        dialog.get_by_text(f"'{query}' (minimum score" if query == NOTHING else f"for '{query}'").first.wait_for()
    except Exception:
        page.screenshot(path=str(shots / f"search_{query}.png"))  # what the App showed instead
        raise
    return dialog


def test_compute_video_embeddings_then_search_keeps_an_exact_name_first(app_dataset, app_server, page, shots):
    """Issue 17 row 6: with a (weak) video model present, "obama" fell under the cut-off, the
    dialog lost its message and printed frames [27, 50] as 2750; no operator computed embeddings."""
    from speakerid.review.search import search
    from speakerid.video.text import get_text_encoder

    ds = fo.load_dataset(app_dataset.name)
    open_dataset(page, app_server, app_dataset.name)
    run_grid_action(page, "Compute video embeddings")
    page.get_by_role("button", name="Execute").click()
    page.get_by_text(f"zero-shot concepts on {len(ds)} video(s)").first.wait_for()

    def embedded() -> bool:
        ds.reload()
        return ds.has_field("zeroshot") and len(ds.exists("zeroshot")) == len(ds)

    wait_until(embedded, "the concept embeddings in the database")
    # a weak video model on every clip: its vectors far from "obama" in the text space
    path = "speaker_segments.detections.video2vec"
    if not ds.has_field(path):
        ds.add_sample_field(path, fo.VectorField)
    weak = get_text_encoder().encode(["a street"])[0]
    clip_ids = ds.values("speaker_segments.detections.id")
    ds.set_values(path, [[weak] * len(ids or []) for ids in clip_ids])
    try:
        _search_obama(page, app_dataset, app_server, shots, search(ds, "obama"))
    finally:  # the session's dataset goes back to no video model for the other tests
        ds.set_values(path, [[None] * len(ids or []) for ids in clip_ids])


def _search_obama(page, app_dataset, app_server, shots, expected) -> None:
    """``expected``: the library function the dialog and the CLI show, on the same data."""
    assert expected.results and all(r.speaker == "obama" for r in expected.results)

    open_dataset(page, app_server, app_dataset.name)
    dialog = _search(page, "obama", shots)
    text = dialog.inner_text()
    page.screenshot(path=str(shots / "search_obama.png"))
    assert expected.message in text  # the message, not lost
    assert "names, concepts, video2vec" in text  # what was searched
    assert "name 'obama' exact 1.00 ✓" in text and "video2vec 0." in text  # which evidence matched, and the weak one
    for r in expected.results:
        a, b = r.support
        assert re.search(rf"\b{a}\s*-\s*{b}\b", text), (r.frames, text)  # 27-50, not 2750
        assert f"{a}{b}" not in text
    # the grid after the search: the clips found, in rank order, each labelled obama
    page.get_by_role("button", name="Close").click()
    n = len(expected.results)
    page.locator('[data-cy="entry-counts"]', has_text=re.compile(rf"\b{n}\s+clips?\b")).wait_for()
    tags = page.locator('[data-cy="looker"] [data-cy="tag-speaker_segments"]')
    wait_until(lambda: tags.count() == n, f"{n} clip tiles")
    assert [tags.nth(i).text_content() for i in range(n)] == ["obama"] * n


def test_search_that_matches_nothing_says_so_and_keeps_the_grid(app_dataset, app_server, page, shots):
    """Nothing matches: said so; with concept embeddings (computed above) the nearest clips are
    listed as weak candidates, and the grid is not replaced by them."""
    from speakerid.review.search import search

    ds = fo.load_dataset(app_dataset.name)
    expected = search(ds, NOTHING)
    open_dataset(page, app_server, app_dataset.name)
    dialog = _search(page, NOTHING, shots)
    text = dialog.inner_text()
    assert "nothing matches 'a dog playing piano' (minimum score 0.50; best score" in text
    assert expected.message in text and not expected.results
    assert bool(expected.nearest) == ds.has_field("speaker_segments.detections.zeroshot")
    for r in expected.nearest:  # weak candidates, marked so, with their frames
        a, b = r.support
        assert f"{r.score:.2f} weak" in text and re.search(rf"\b{a}\s*-\s*{b}\b", text), text
    page.get_by_role("button", name="Close").click()
    page.locator('[data-cy="entry-counts"]', has_text=re.compile(rf"\b{len(ds)}\s+samples\b")).wait_for()
