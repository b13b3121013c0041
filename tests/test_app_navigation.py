"""Play and seek from the Speakers panel, and the panel on every view the App can show it.

On the README's dataset plus the street clip (``app_harness``). In the browser: a timeline bar
or a segment row clicked in the grid opens that segment and the App's playhead shows the
segment's start; the panel keeps rendering on a
patches view (its own **Index faces**); a frame between analysed ones has its face box drawn.
Through FiftyOne's executor (as the App's server runs it): the panel's events on dataset,
filtered, sorted, selected, clips, frames, patches and sorted-patches views resolve the video
they show and never look an id up in the wrong collection. Any plugin error fails a browser
test (``app_harness``).
"""

from __future__ import annotations

import re

import pytest
from app_data import execute_operator
from app_harness import *  # noqa: F403 - the fixtures
from app_pages import PANEL, open_modal, open_panel, seek_modal, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.app]
PLUGIN = "@speakerid/speakerid"


def segments(dataset_name: str) -> tuple[object, list]:
    """The README's clip (the first video: the panel's timeline shows it) and its segments."""
    import fiftyone as fo

    sample = fo.load_dataset(dataset_name).first()
    assert sample.filepath.endswith("short_hamilton_clip.mp4")
    return sample, sorted(sample["speaker_segments"].detections, key=lambda s: s.support[0])


def playhead_seconds(page) -> float:
    """What the modal's timeline shows as the current time (``m:ss.ss / m:ss.ss``)."""
    text = page.get_by_test_id("timeline-playhead-time").first.text_content() or ""
    m = re.match(r"\s*(\d+):(\d+(?:\.\d+)?)", text)
    assert m, f"playhead shows {text!r}"
    return int(m.group(1)) * 60 + float(m.group(2))


def wait_for_playhead(page, seconds: float, fps: float, timeout_s: float = 180.0) -> None:
    """The modal is open and its playhead is within one frame of ``seconds``."""
    page.get_by_test_id("timeline-playhead-time").first.wait_for()
    wait_until(
        lambda: abs(playhead_seconds(page) - seconds) <= 1.0 / fps + 0.011,
        f"the playhead at {seconds:.2f} s (it shows {playhead_seconds(page):.2f} s)",
        timeout_s,
    )


def timeline_bar(page, segment_id: str):
    """The timeline plot's bar of one segment (bars are grouped by speaker: find it by id)."""
    plot = page.locator(f"{PANEL} .js-plotly-plot").first
    plot.locator(".bars .point").first.wait_for()
    where = plot.evaluate(
        "(el, id) => { for (const [t, tr] of el.data.entries()) { const k = (tr.ids || []).indexOf(id);"
        " if (k >= 0) return [t, k]; } return null; }",
        segment_id,
    )
    assert where, f"no bar for segment {segment_id}"
    return plot.locator(".trace.bars").nth(where[0]).locator(".point").nth(where[1]).locator("path")


def start_of(segment, fps: float) -> float:
    """The time the App shows for a segment's first frame (frame n is at (n - 1) / fps)."""
    return (segment.support[0] - 1) / fps


# --- in the browser --------------------------------------------------------------------------
def test_timeline_bar_click_opens_the_segment_at_its_start(app_dataset, app_server, page, shots):
    sample, segs = segments(app_dataset.name)
    target = segs[1] if len(segs) > 1 else segs[0]  # not the first: its start is not the video's
    open_panel(page, app_server, app_dataset.name)
    timeline_bar(page, target.id).click(force=True)
    wait_for_playhead(page, start_of(target, sample.metadata.frame_rate), sample.metadata.frame_rate)
    page.screenshot(path=str(shots / "bar_click.png"))


def segment_row(panel, segment):
    """The panel's timeline table row of one segment (its frames as the App's counter shows them)."""
    row = panel.get_by_role("row").filter(has_text=f"#{segment.support[0] - 1}-#{segment.support[1] - 1}")
    row.first.wait_for()
    return row.first


def test_segment_row_click_opens_the_segment_at_its_start(app_dataset, app_server, page, shots):
    sample, segs = segments(app_dataset.name)
    target, fps = segs[-1], sample.metadata.frame_rate
    segment_row(open_panel(page, app_server, app_dataset.name), target).click()
    wait_for_playhead(page, start_of(target, fps), fps)
    # the row's frames are the App's counter: switched to frame numbers, it shows the row's first
    page.locator("button[aria-label^='Showing elapsed time']").first.click()
    counter = page.get_by_test_id("timeline-playhead-time").first
    wait_until(lambda: (counter.text_content() or "").startswith(f"#{target.support[0] - 1} "), "the frame counter")


def test_segment_row_click_in_the_modal_opens_the_segment_at_its_start(app_dataset, app_server, page, shots):
    """The modal's Speakers tab, with no panel beside the grid: the click plays the segment."""
    sample, segs = segments(app_dataset.name)
    target, fps = segs[-1], sample.metadata.frame_rate
    open_modal(page, app_server, app_dataset.name, sample.id)
    tab = page.locator('[data-cy="modal"] [data-cy="panel-tab-speakers_panel"]').first
    try:
        tab.wait_for(timeout=60_000)
    except Exception:  # seen once in three CI runs: the modal came up before the App listed the plugin's panels
        page.screenshot(path=str(shots / "modal_without_speakers_tab.png"))
        open_modal(page, app_server, app_dataset.name, sample.id)  # a user reloads the page
    tab.click()
    panel = page.locator(f'[data-cy="modal"] {PANEL}')
    segment_row(panel, target).click()
    wait_for_playhead(page, start_of(target, fps), fps)
    page.screenshot(path=str(shots / "modal_row_click.png"))
    assert page.locator('[data-cy="btn-view-stage-delete"]').count()  # the clip's view is shown behind it


def test_panel_keeps_working_on_the_face_patches_of_index_faces(app_dataset, app_server, page, shots):
    panel = open_panel(page, app_server, app_dataset.name)
    panel.get_by_role("button", name="Index faces").click()
    page.get_by_role("button", name="Execute").click()
    page.locator('[data-cy="entry-counts"]', has_text="patches").wait_for()  # the grid: face patches
    panel.get_by_text("Speaker timeline: ").first.wait_for()
    page.locator(f"{PANEL} .js-plotly-plot .bars .point").first.wait_for()  # still drawn, no traceback
    page.locator('[data-cy="looker"]').first.click()  # open a face patch: the panel follows it
    page.wait_for_timeout(3000)
    panel.get_by_text("Speaker timeline: ").first.wait_for()
    page.screenshot(path=str(shots / "patches_panel.png"))


def test_a_face_box_is_drawn_between_analysed_frames(app_dataset, app_server, page, shots):
    """Playing without blinking: on a frame that was not analysed, the App draws the track's
    interpolated box, with its person's name."""
    sample, _ = segments(app_dataset.name)
    between = {
        n: d
        for n, f in sample.frames.items()
        if f.has_field("faces_between") and f["faces_between"] is not None
        for d in f["faces_between"].detections
        if d.label == "lin_manuel_miranda" and d.bounding_box[2] > 0.1
    }
    assert between, "no interpolated boxes written"
    target = sorted(between)[len(between) // 3]
    assert sample.frames[target]["faces"] is None  # not an analysed frame
    open_modal(page, app_server, app_dataset.name, sample.id)
    seek_modal(page, target)
    page.wait_for_timeout(1500)
    looker = page.locator('[data-cy="modal-looker-container"]')
    box = looker.bounding_box()
    w, h = sample.metadata.frame_width, sample.metadata.frame_height
    scale = min(box["width"] / w, box["height"] / h)
    x0, y0 = (box["width"] - w * scale) / 2, (box["height"] - h * scale) / 2
    x, y, bw, bh = between[target].bounding_box
    page.mouse.move(box["x"] + x0 + (x + bw / 2) * w * scale, box["y"] + y0 + (y + bh / 2) * h * scale)
    tooltip = page.locator('[data-cy="sample-canvas-tooltip-content"]')
    tooltip.wait_for()
    text = tooltip.text_content()
    page.screenshot(path=str(shots / "between_frame.png"))
    assert "lin_manuel_miranda" in text and "interpolated" in text  # the track's box, made between frames


# --- through FiftyOne's executor, on every kind of view ------------------------------------------
def panel_event(dataset_name: str, method: str, view, **ctx) -> dict:
    """Run one Speakers panel event like the App's server does; returns the panel's new state."""
    out = execute_operator(
        f"{PLUGIN}/speakers_panel",
        {
            "dataset": dataset_name,
            "view": view,
            "params": {"__method__": method, "panel_id": "speakers-test", "panel_state": {}},
            **ctx,
        },
    )
    requests = out.executor.to_json()["requests"]
    return {k: v for r in requests if r["operator_uri"] == "patch_panel_state" for k, v in r["params"]["state"].items()}


def test_panel_finds_the_video_on_every_kind_of_view(app_dataset, registered_plugin):
    import fiftyone as fo
    from fiftyone import ViewField as F

    from speakerid.review.face_index import write_frame_pictures

    ds = fo.load_dataset(app_dataset.name)
    write_frame_pictures(ds)  # frames views need a picture per frame (what Index faces does first)
    videos = dict(zip(ds.values("id"), ds.values("filepath")))
    frames = ds.to_frames(sample_frames=False)
    patches = frames.to_patches("faces")
    clips = ds.to_clips("speaker_segments")
    last = ds.last()
    views = {
        "dataset": (ds.view(), None),
        "filtered": (ds.filter_labels("frames.faces", F("label") != "unknown"), None),
        "sorted": (ds.sort_by("filepath", reverse=True), None),
        "selected": (ds.select(last.id), None),
        "clips": (clips, clips.last().id),
        "track clips": (ds.to_clips("face_tracks"), ds.to_clips("face_tracks").last().id),
        "frames": (frames, frames.last().id),
        "patches": (patches, patches.last().id),
        "sorted patches": (patches.sort_by("faces.confidence", reverse=True), patches.first().id),
    }
    for kind, (view, current) in views.items():
        for method in ("on_load", "on_change_view", "on_change_current_sample", "on_change_selected"):
            extra = {"current_sample": current} if current else {}
            if method == "on_change_selected" and current:
                extra = {"selected": [current]}
            state = panel_event(ds.name, method, view, **extra)
            video = state.get("video_id")
            assert video in videos, (kind, method, state)
            name = videos[video].rsplit("/", 1)[-1]
            assert f"Speaker timeline: {name}" in state["timeline_md"], (kind, method)
    # a clip id handed over with a view that no longer holds it (the App's view changed meanwhile)
    state = panel_event(ds.name, "on_change_current_sample", ds.view(), current_sample=clips.last().id)
    assert state["video_id"] == clips.last().sample_id
