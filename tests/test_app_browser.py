"""End to end in a real browser, on the dataset a new user has after the README.

``speakerid annotate sample_videos/short_hamilton_clip.mp4 --gallery sample_videos/gallery --dataset
<new>`` then ``speakerid app --dataset <new>`` (the plugin loads from the package), Debian's
Chromium driven by Playwright. Checked like a user would see it: a face box sits on the face on
the picture the App shows at a seeked frame, the Speakers panel draws its timeline, its gallery
thumbnails and the cluster list, naming a cluster relabels its tracks, and the App's own
similarity search on a face returns that person's faces first. Screenshots go to a temporary
folder (``docs/img/speakers_panel.png`` is made by ``scripts/readme_screenshot.py``).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from app_harness import *  # noqa: F403 - the fixtures
from app_pages import open_dataset, open_modal, open_panel, seek_modal, wait_until

from speakerid.labels.app_clock import app_frame_number

pytestmark = [pytest.mark.slow, pytest.mark.app]

STRANGER = "Stranger One"


# --- 1. labels on their own picture --------------------------------------------------------
def test_face_box_sits_on_the_face_at_a_seeked_frame(app_dataset, app_server, page, shots):
    import fiftyone as fo
    from PIL import Image

    from speakerid.io import read_frames
    from speakerid.pipeline import load_models
    from speakerid.settings import AnnotateSettings
    from speakerid.timeline.tracks import box_iou

    sample = fo.load_dataset(app_dataset.name).first()
    fps = sample.metadata.frame_rate
    lin = {
        n: d
        for n, f in sample.frames.items()
        if f["faces"]
        for d in f["faces"].detections
        if d.label == "lin_manuel_miranda" and d.bounding_box[2] > 0.1
    }
    target = sorted(lin)[len(lin) // 2]  # a frame with a large named face, mid-clip
    open_modal(page, app_server, app_dataset.name, sample.id)
    looker = page.locator('[data-cy="modal-looker-container"]')
    seek_modal(page, target)  # as the App's "next frame" key does, re-pressed when a press is dropped
    page.wait_for_timeout(1500)
    current = int(page.locator('[data-cy="looker-video-time"]').text_content().split("/")[0])
    assert current == target  # the App's current frame is the label's frame
    box = looker.bounding_box()
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB"))
    Image.fromarray(shot).save(shots / "seeked_frame.png")
    w, h = sample.metadata.frame_width, sample.metadata.frame_height
    scale = min(shot.shape[1] / w, shot.shape[0] / h)
    x0, y0 = (shot.shape[1] - w * scale) / 2, (shot.shape[0] - h * scale) / 2
    shown = np.asarray(
        Image.fromarray(shot[int(y0) : int(y0 + h * scale), int(x0) : int(x0 + w * scale)]).resize((w, h))
    )

    # the picture on screen is the one whose presentation time gives that frame number ...
    pictures, times = [], []
    for batch in read_frames(sample.filepath, fps=None):
        pictures += [np.asarray(Image.fromarray(f).resize((80, 45)), np.float32) for f in batch.frames]
        times += batch.times.tolist()
    small = np.asarray(Image.fromarray(shown).resize((80, 45)), np.float32)
    error = np.array([np.mean((p - small) ** 2) for p in pictures])
    best = int(error.argmin())
    assert app_frame_number(times[best], fps) == target, (best, times[best])
    # ... and the label's box is on a face in it
    det = lin[target]
    x, y, bw, bh = det.bounding_box
    faces = load_models(AnnotateSettings()).detector.detect(shown[None])[0]
    iou = box_iou(np.stack([f.box for f in faces]), np.array([[x * w, y * h, (x + bw) * w, (y + bh) * h]]))
    assert iou.max() >= 0.5
    # hovering the box: its attributes, no embedding dump
    page.mouse.move(box["x"] + x0 + (x + bw / 2) * w * scale, box["y"] + y0 + (y + bh / 2) * h * scale)
    tooltip = page.locator('[data-cy="sample-canvas-tooltip-content"]')
    tooltip.wait_for()
    text = tooltip.text_content()
    assert "lin_manuel_miranda" in text and "embedding" not in text and len(text) < 300
    page.keyboard.press("Escape")


# --- 2. the Speakers panel ------------------------------------------------------------------
def _loaded(images) -> bool:
    return images.count() > 0 and all(
        images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0") for i in range(images.count())
    )


def test_speakers_panel_draws_timeline_gallery_and_clusters(app_dataset, app_server, page, shots):
    import fiftyone as fo

    from speakerid.identity.gallery import Gallery
    from speakerid.review.gallery_link import dataset_gallery

    ds = fo.load_dataset(app_dataset.name)
    panel = open_panel(page, app_server, app_dataset.name)
    panel.get_by_text("Speaker timeline: short_hamilton_clip.mp4").wait_for()
    plots = panel.locator(".js-plotly-plot")
    plots.first.wait_for()
    assert plots.count() == 2  # the speaker timeline and the screen-time chart
    segments = ds.first()["speaker_segments"].detections
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot')[0].querySelectorAll('.bars .point').length === n",
        arg=len(segments),
    )  # one bar per segment
    people = Gallery.load(dataset_gallery(ds)).counts()
    assert not panel.get_by_role("columnheader", name="person").count()  # no "person person person"
    for person, count in people.items():  # the README gallery, remembered, with a face each
        panel.get_by_role("cell", name=f"{person} ({count})", exact=True).wait_for()
    thumbs = panel.locator("img[src*='/thumbnails/']")
    page.wait_for_function("n => document.querySelectorAll(\"img[src*='/thumbnails/']\").length === n", arg=len(people))
    assert _loaded(thumbs)
    panel.get_by_role("button", name="Find recurring strangers").click()
    crops = panel.locator("img[src*='/crops/']")
    crops.first.wait_for()
    page.wait_for_timeout(1000)
    assert _loaded(crops)
    assert panel.get_by_role("cell", name="cluster 1", exact=True).count() >= 1
    page.screenshot(path=str(shots / "speakers_panel.png"))


def test_naming_a_cluster_relabels_its_tracks(app_dataset, app_server, page, shots):
    import fiftyone as fo
    from fiftyone import ViewField as F

    ds = fo.load_dataset(app_dataset.name)
    panel = open_panel(page, app_server, app_dataset.name)
    clustered = ds.filter_labels("face_tracks", F("cluster") == 1)
    tracks = dict(zip(clustered.values("id"), clustered.values("face_tracks.detections.index")))
    assert tracks
    name_box = panel.get_by_role("button", name="Name cluster").locator("xpath=preceding::input[1]")
    name_box.fill(STRANGER)
    name_box.press("Tab")
    page.wait_for_timeout(1000)
    panel.get_by_role("button", name="Name cluster").click()

    def named() -> dict:
        samples = {i: ds[i] for i in tracks}
        for sample in samples.values():
            sample.reload(hard=True)  # written by the App server, another process
        return {i: {d.label for d in s["face_tracks"].detections if d.index in tracks[i]} for i, s in samples.items()}

    wait_until(lambda: all(v == {STRANGER} for v in named().values()), "the cluster's tracks to be renamed", 300)
    page.screenshot(path=str(shots / "named_cluster.png"))
    for sample_id, indices in tracks.items():
        sample = ds[sample_id]
        faces = [
            d.label for f in sample.frames.values() if f["faces"] for d in f["faces"].detections if d.index in indices
        ]
        assert faces and set(faces) == {STRANGER}
        assert STRANGER in {c.label for c in sample["speakers"].classifications}
    panel.get_by_text(STRANGER).first.wait_for()  # the panel's screen time shows the new name


# --- 3. faces in FiftyOne Brain ---------------------------------------------------------------
def test_sort_by_similarity_on_a_face_shows_the_same_person_first(app_dataset, app_server, page, shots):
    import fiftyone as fo
    from bson import ObjectId
    from fiftyone.operators.store import ExecutionStore

    from speakerid.review.face_index import faces_view

    open_dataset(page, app_server, app_dataset.name)
    # our button in the grid's action bar (or under its "more items" when the bar is full)
    page.locator('[data-cy="fo-grid-actions"]').get_by_text("Index faces", exact=True).first.dispatch_event("click")
    page.get_by_role("button", name="Execute").click()
    page.locator('[data-cy="entry-counts"]', has_text="patches").wait_for()  # the grid: one patch per face
    ds = fo.load_dataset(app_dataset.name)
    ds.reload()  # the App server (another process) added the frame pictures
    patches = faces_view(ds)
    labels = dict(zip(patches.values("id"), patches.values("faces.label")))
    n_lin = sum(label == "lin_manuel_miranda" for label in labels.values())
    tiles = page.locator('[data-cy="looker"]')
    tiles.first.wait_for()
    first = next(
        i
        for i in range(tiles.count())
        if tiles.nth(i).locator('[data-cy="tag-faces"]').text_content() == "lin_manuel_miranda"
    )
    tiles.nth(first).hover()
    tiles.nth(first).locator('[data-cy^="looker-checkbox"]').first.click()
    page.locator('[data-cy="action-sort-by-similarity"]').dispatch_event("click")
    page.get_by_text("Show similar samples", exact=True).click()  # the App's similarity search
    page.locator('[data-cy="panel-content-similarity_search_panel"]').get_by_text("Completed").first.wait_for()
    page.screenshot(path=str(shots / "similarity_search.png"))
    store = ExecutionStore.create("similarity_search_panel", ObjectId(ds._doc.id))
    runs = [store.get(k) for k in store.list_keys() if k.startswith("run:")]
    run = max((r for r in runs if r.get("status") == "completed"), key=lambda r: r.get("end_time", ""))
    assert run["brain_key"] == "speakerid_faces"
    ranked = [labels[i] for i in run["result_ids"]]
    k = min(n_lin, 10)
    assert ranked[:k] == ["lin_manuel_miranda"] * k
