"""The App plugin through FiftyOne's own machinery: discovery, real execution contexts, delegation.

One real dataset (the Hamilton clip + the street clip) is annotated once, by a delegated
``annotate_videos`` run; every other operator then runs on it via
``fiftyone.operators.execute_operator`` and the tests check what it changed in the database
and in the gallery file.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
from app_data import execute_operator, on_own_thread
from app_harness import plugin_registered

PLUGIN = "@speakerid/speakerid"
OPERATORS = {
    "annotate_videos",
    "add_videos",
    "enroll_speakers",
    "review_low_confidence",
    "apply_review",
    "search_by_text",
    "compute_video_embeddings",
    "explain_face",
    "cluster_unknowns",
    "name_cluster",
    "index_faces",
    "find_similar_faces",
    "speakers_panel",
    "faces_map",
    "open_clip",
    "open_face",
}
PLACEMENTS = {
    "annotate_videos": "samples-grid-actions",
    "add_videos": "samples-grid-secondary-actions",
    "search_by_text": "samples-grid-secondary-actions",
    "compute_video_embeddings": "samples-grid-secondary-actions",
    "cluster_unknowns": "samples-grid-secondary-actions",
    "index_faces": "samples-grid-secondary-actions",
    "enroll_speakers": "samples-viewer-actions",
    "explain_face": "samples-viewer-actions",
}
FIRST_PEOPLE = ("alex_lacamoire", "lin_manuel_miranda", "obama")
# Hamilton clip settings: 2 fps keeps the run short; a fixed threshold (a form field like any other)
# keeps the names independent of how a 3-person gallery happens to calibrate.
HAMILTON = {"fps": 2.0, "threshold": 0.5}


pytestmark = [pytest.mark.slow, pytest.mark.app]  # runs the operators on a real annotated dataset


def uri(name: str) -> str:
    return f"{PLUGIN}/{name}"


def run(name: str, dataset: str, **ctx):
    """Execute one of our operators exactly as the App's server does (no mocks)."""
    return execute_operator(uri(name), {"dataset": dataset, **ctx})


def requests(result, operator: str) -> list[dict]:
    """Params of the App operations (set_view, notify, ...) the run asked the App to perform."""
    return [r["params"] for r in result.executor.to_json()["requests"] if r["operator_uri"] == operator]


def panel_state(result) -> dict:
    return {k: v for p in requests(result, "patch_panel_state") for k, v in p["state"].items()}


@pytest.fixture(scope="module", autouse=True)
def plugins_dir(tmp_path_factory):
    """FiftyOne loads the plugin shipped in the package, installed by ``speakerid plugin install``
    into a temporary plugins dir."""
    with plugin_registered(tmp_path_factory.mktemp("fo-plugins")) as target:
        yield target


@pytest.fixture(scope="module")
def gallery(shared_data, tmp_path_factory) -> Path:
    """A gallery of three people, enrolled through the plugin's enroll_speakers (folder mode)."""
    folder = tmp_path_factory.mktemp("people")
    for person in FIRST_PEOPLE:
        shutil.copytree(shared_data / "gallery" / person, folder / person)
    path = tmp_path_factory.mktemp("gallery") / "speakers.sid"
    out = run("enroll_speakers", None, params={"gallery": str(path), "source": "folder", "folder": str(folder)})
    assert set(out.result["people"]) == set(FIRST_PEOPLE) and path.is_file()
    return path


@pytest.fixture(scope="module")
def annotated(hamilton, street, gallery):
    """Both clips, annotated by a queued (delegated) run that the delegated service then executes."""
    import fiftyone as fo
    from fiftyone.operators.delegated import DelegatedOperationService
    from fiftyone.operators.executor import ExecutionRunState

    name = f"test-{uuid.uuid4().hex[:8]}"
    ds = fo.Dataset(name)
    ds.persistent = True
    service, op_id = DelegatedOperationService(), None
    try:
        ds.add_samples([fo.Sample(filepath=str(hamilton)), fo.Sample(filepath=str(street))])
        ham_id = ds.match({"filepath": str(hamilton)}).first().id
        queued = run(
            "annotate_videos",
            name,
            view=ds.select(ham_id),
            request_delegation=True,
            params={**HAMILTON, "gallery": str(gallery)},
        )
        op_id = queued.result["id"]
        info = {"queued_state": service.get(op_id).run_state, "labelled_before": ds.has_frame_field("faces")}
        on_own_thread(service.execute_queued_operations, operator=uri("annotate_videos"), dataset_name=name)
        info.update(
            doc=service.get(op_id), ham_id=ham_id, done=ExecutionRunState.COMPLETED, queued=ExecutionRunState.QUEUED
        )
        yield name, info
    finally:
        if op_id is not None:
            service.delete_operation(op_id)
        fo.delete_dataset(name)


def test_discovered_by_fiftyone(annotated):
    import fiftyone.operators as foo
    import fiftyone.plugins as fop
    from fiftyone.operators.executor import ExecutionContext

    from speakerid import plugin_install

    plugin = next(p for p in fop.list_plugins() if p.name == PLUGIN)
    assert Path(plugin.directory).resolve() == plugin_install.plugin_source()  # the package's own copy
    assert plugin_install.plugin_source().parent.name == "speakerid"
    listed = {op.name for op in foo.list_operators() if op.uri.startswith(PLUGIN + "/")}
    assert listed == OPERATORS
    annotate = foo.get_operator(uri("annotate_videos"))
    assert annotate.config.allow_delegated_execution and annotate.config.allow_immediate_execution
    ctx = ExecutionContext(request_params={"dataset_name": annotated[0]})
    for name, place in PLACEMENTS.items():  # buttons in the grid and sample action bars
        placement = foo.get_operator(uri(name)).resolve_placement(ctx).to_json()
        assert placement["place"] == place and placement["view"]["label"], name


def test_delegated_annotation(annotated, hamilton):
    import fiftyone as fo

    name, info = annotated
    assert info["queued_state"] == info["queued"] and not info["labelled_before"]
    doc = info["doc"]
    assert doc.run_state == info["done"], doc.result
    assert doc.status.progress == pytest.approx(1.0) and "1 labelled" in doc.status.label
    ds = fo.load_dataset(name)
    sample = ds[info["ham_id"]]
    assert Path(sample.filepath).resolve() == hamilton.resolve()
    assert len(sample["speaker_segments"].detections) >= 1
    assert {c.label for c in sample["speakers"].classifications} - {"unknown"} <= set(FIRST_PEOPLE)
    assert ds.info["speakerid_gallery"]  # forms and the panel default to this gallery next time
    others = ds.match(fo.ViewField("filepath") != sample.filepath)
    assert others.count("frames.faces.detections") == 0  # only the targeted video was labelled


def test_annotate_selected_immediately_and_resume(annotated, street, gallery):
    import fiftyone as fo

    name, info = annotated
    ds = fo.load_dataset(name)
    street_id = ds.match({"filepath": str(street)}).first().id
    stamp = lambda: ds.select(info["ham_id"]).values("last_modified_at")[0]  # noqa: E731
    before = stamp()
    run(
        "annotate_videos",
        name,
        selected=[street_id],
        params={"view_target": "SELECTED_SAMPLES", "gallery": str(gallery), "fps": 0.5},
    )
    sample = ds[street_id]
    faces = [d for f in sample.frames.values() if f["faces"] for d in f["faces"].detections]
    assert faces and {d.label for d in faces} == {"unknown"}  # nobody in the street clip is enrolled
    # the Hamilton clip again with the settings it was labelled with: skipped, not redone
    out = run("annotate_videos", name, view=ds.select(info["ham_id"]), params={**HAMILTON, "gallery": str(gallery)})
    assert stamp() == before
    assert any("0 labelled, 1 already up to date" in p["message"] for p in requests(out, "notify"))


def test_bad_input_is_a_form_error(annotated, gallery, shared_data, tmp_path, dataset_name):
    import fiftyone as fo
    from fiftyone.operators.executor import ExecutionError

    name, _ = annotated
    missing = tmp_path / "nope.sid"
    with pytest.raises(ExecutionError, match="gallery file not found"):
        run("annotate_videos", name, params={"gallery": str(missing)})
    junk = tmp_path / "junk.sid"
    junk.write_text("not a zip")
    with pytest.raises(ExecutionError, match="not a readable speakerid gallery"):
        run("enroll_speakers", name, params={"gallery": str(junk), "source": "folder", "folder": str(tmp_path)})
    with pytest.raises(ExecutionError, match="folder not found"):
        run("enroll_speakers", name, params={"gallery": str(gallery), "source": "folder", "folder": str(missing)})
    photos = fo.Dataset(dataset_name)
    photos.add_sample(fo.Sample(filepath=str(next((shared_data / "photos").glob("*.jpg")))))
    with pytest.raises(ExecutionError, match="needs a video dataset"):
        run("annotate_videos", dataset_name, params={"gallery": str(gallery)})


def test_search_by_text(annotated):
    import fiftyone as fo

    name, info = annotated
    ds = fo.load_dataset(name)
    speakers = ds[info["ham_id"]]["speakers"].classifications
    named = [c for c in speakers if c.label != "unknown"]
    assert named, "the Hamilton clip should contain enrolled people"
    person = max(named, key=lambda c: c.screen_time).label
    # speaker names word by word (no model): any case, typos forgiven, unknown names find nothing
    query = " ".join(person.split("_")[:2]).upper()  # e.g. "LIN MANUEL"
    out = run("search_by_text", name, params={"query": query, "method": "names", "level": "samples"})
    assert out.result["method"] == "names"
    assert [(r["id"], r["speaker"], r["score"]) for r in out.result["ranking"]] == [(info["ham_id"], person, 1.0)]
    view = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert view.values("id") == [info["ham_id"]]  # the street clip (nobody known) is filtered out
    words = person.split("_")
    typo = " ".join(words[:-1] + [words[-1][:-2] + words[-1][-1]])  # "miranda" -> "mirana"
    out = run("search_by_text", name, params={"query": typo, "method": "names", "level": "samples"})
    assert [r["speaker"] for r in out.result["ranking"]] == [person]
    # nothing matches: said so, scores below the cut-off are not shown as results, the view stays
    for query in ("guido van rossum", "a dog playing piano"):
        out = run("search_by_text", name, params={"query": query})
        assert out.result["ranking"] == [] and out.result["message"].startswith("nothing matches")
        assert not requests(out, "set_view") and requests(out, "notify")[0]["variant"] == "warning"
    # the text model (speakerid.review.search): clips of the person first, with their scores
    out = run("search_by_text", name, params={"query": person.replace("_", " "), "method": "model", "k": 3})
    top = out.result["ranking"][0]
    assert out.result["method"] == "model" and top["speaker"] == person and top["sample_id"] == info["ham_id"]
    assert top["name_score"] == pytest.approx(1.0, abs=1e-3) and top["score"] >= 0.5 and top["rank"] == 1
    clips = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert clips.first()["speaker_segments"].label == person and clips.first().support == top["support"]


def test_review_then_apply_names_the_tracks(annotated, gallery):
    import fiftyone as fo
    from fiftyone import ViewField as F

    from speakerid.identity.gallery import Gallery

    name, info = annotated
    ds = fo.load_dataset(name)
    ham = ds.select(info["ham_id"])
    expected = ham.filter_labels("frames.faces", (F("confidence") < 0.95) | (F("label") == "unknown"))
    n_expected = expected.count("frames.faces.detections")
    out = run("review_low_confidence", name, view=ham, params={"max_confidence": 0.95, "include_unknown": True})
    assert out.result["faces"] == n_expected > 0
    assert ds.count_label_tags("frames.faces").get("speakerid_review") == n_expected
    review_view = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert review_view.count("frames.faces.detections") == n_expected

    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="no reviewed faces"):
        run("apply_review", name, params={"gallery": str(gallery)})
    # a reviewer renames one flagged face (the largest, so it is clearly visible)
    rows = [
        (d.bounding_box[2] * d.bounding_box[3], d.id, d.label, d.index)
        for dets in review_view.values("frames.faces.detections")
        for fr in dets
        for d in (fr or [])
    ]
    _, face_id, old, track = max(rows)
    new = next(p for p in FIRST_PEOPLE if p != old)
    ds.set_label_values("frames.faces.detections.label", {face_id: new})
    before = Gallery.load(gallery)
    out = run("apply_review", name, params={"gallery": str(gallery)})
    after = Gallery.load(gallery)
    assert out.result["added"] == {new: 1}  # one track named
    assert len(after.embeddings) == len(before.embeddings) + 1  # its mean embedding joins the gallery
    assert np.array_equal(after.embeddings[: len(before.embeddings)], before.embeddings)
    sample = ds[info["ham_id"]]
    faces = [d for f in sample.frames.values() if f["faces"] for d in f["faces"].detections if d.index == track]
    assert {d.label for d in faces} == {new} and {d.confidence for d in faces} == {1.0}  # the whole track
    assert not any("speakerid_review" in d.tags for d in faces)
    assert next(t for t in sample["face_tracks"].detections if t.index == track).label == new
    assert requests(out, "reload_dataset")


def test_enroll_selected_face_names_its_track(annotated, gallery):
    import fiftyone as fo

    from speakerid.identity.gallery import Gallery

    name, info = annotated
    ds = fo.load_dataset(name)
    sample = ds[info["ham_id"]]
    frame_number, det = max(
        ((fn, d) for fn, f in sample.frames.items() if f["faces"] for d in f["faces"].detections),
        key=lambda fd: fd[1].bounding_box[2] * fd[1].bounding_box[3],
    )
    selected = [{"sample_id": sample.id, "label_id": det.id, "field": "frames.faces", "frame_number": frame_number}]
    before = Gallery.load(gallery)
    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="use letters"):
        run(
            "enroll_speakers",
            name,
            selected_labels=selected,
            params={"gallery": str(gallery), "source": "selected_faces", "name": "../evil"},
        )
    out = run(
        "enroll_speakers",
        name,
        selected_labels=selected,
        params={"gallery": str(gallery), "source": "selected_faces", "name": "new person"},
    )
    after = Gallery.load(gallery)
    assert out.result["people"] == {"new person": 1}
    assert after.names == before.names + ["new person"] and after.counts()["new person"] == 1
    assert after.thumbnails["new person"].std() > 10  # the track's best face, for the panel
    assert np.array_equal(after.embeddings[: len(before.embeddings)], before.embeddings)  # nobody re-embedded
    sample.reload()
    track = [d for f in sample.frames.values() if f["faces"] for d in f["faces"].detections if d.index == det.index]
    assert {d.label for d in track} == {"new person"} and out.result["faces"] == len(track)


def test_explain_face_heatmap(annotated, gallery):
    import fiftyone as fo
    from fiftyone.operators.executor import ExecutionError
    from PIL import Image

    name, info = annotated
    ds = fo.load_dataset(name)
    sample = ds[info["ham_id"]]
    fn, det = max(
        (
            (fn, d)
            for fn, f in sample.frames.items()
            if f["faces"]
            for d in f["faces"].detections
            if d.label in FIRST_PEOPLE
        ),
        key=lambda fd: fd[1].bounding_box[2] * fd[1].bounding_box[3],
    )
    with pytest.raises(ExecutionError, match="select exactly one face"):
        run("explain_face", name, params={"gallery": str(gallery)})
    selected = [{"sample_id": sample.id, "label_id": det.id, "field": "frames.faces", "frame_number": fn}]
    out = run("explain_face", name, selected_labels=selected, params={"gallery": str(gallery), "method": "gradcam"})
    assert out.result["person"] == det.label and 0.0 <= out.result["inside_face"] <= 1.0
    assert Image.open(out.result["heatmap"]).size[0] > 160  # input window + overlay side by side
    heat = ds[info["ham_id"]].frames[fn]["face_explanation"]
    assert heat.map.shape == (sample.metadata.frame_height // 2, sample.metadata.frame_width // 2)
    assert heat.map.max() >= 200  # normalised attribution
    from speakerid.explain.heatmaps import context_window

    w, h = sample.metadata.frame_width, sample.metadata.frame_height
    x, y, bw, bh = det.bounding_box
    x1, y1, x2, y2 = context_window(np.array([x * w, y * h, (x + bw) * w, (y + bh) * h])) / 2
    ys, xs = np.nonzero(heat.map)
    assert xs.min() >= x1 - 2 and xs.max() <= x2 + 2 and ys.min() >= y1 - 2 and ys.max() <= y2 + 2  # on the face


def test_speakers_panel_charts_timeline_screen_time_and_gallery(annotated, gallery):
    import fiftyone as fo

    from speakerid.identity.gallery import Gallery

    name, info = annotated
    ds = fo.load_dataset(name)
    sample = ds[info["ham_id"]]
    panel = {"panel_id": "speakers-1", "panel_state": {}}
    out = run("speakers_panel", name, current_sample=sample.id, params={"__method__": "on_load", **panel})
    state = panel_state(out)
    assert Path(state["gallery"]) == gallery.resolve()
    people = Gallery.load(gallery)
    for person, count in people.counts().items():
        assert f"{person} ({count})" in state["gallery_md"]
    assert "person |" not in state["gallery_md"]  # no "person person person" header
    assert state["gallery_md"].count("](/media?filepath=") == len(people.thumbnails) > 0  # faces from the .sid
    segs = sorted(sample["speaker_segments"].detections, key=lambda s: s.support[0])
    assert [r["speaker"] for r in state["segments"]] == [s.label for s in segs]
    data = {k: v for p in requests(out, "patch_panel_data") for k, v in p["data"].items()}
    bars = {trace["name"]: trace for trace in data["timeline_plot"]}  # one row per speaker
    assert set(bars) == {s.label for s in segs}
    assert sorted(i for t in bars.values() for i in t["ids"]) == sorted(s.id for s in segs)
    assert [t["name"] for t in data["screen_time_plot"]] == ["on screen", "speaking"]
    assert set(data["screen_time_plot"][0]["x"]) >= {c.label for c in sample["speakers"].classifications}
    totals = {r["speaker"]: r["on_screen"] for r in state["screen_time"]}
    assert set(totals) >= {c.label for c in sample["speakers"].classifications}
    assert requests(out, "show_panel_output")  # rendered
    # clicking a timeline bar opens that segment as a clip
    out = run(
        "speakers_panel",
        name,
        params={"__method__": "on_timeline_click", "id": segs[-1].id, **panel, "panel_state": state},
    )
    clip = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert len(clip) == 1 and clip.first().support == segs[-1].support
    assert requests(out, "open_sample") == []  # not yet: the App still shows the previous view
    asked = requests(out, uri("open_clip"))
    assert [r["clip_id"] for r in asked] == [clip.first().id]
    out = run("open_clip", name, params=asked[0])  # the App still shows the whole dataset: ask again
    assert requests(out, "open_sample") == [] and requests(out, uri("open_clip"))[0]["tries"] == 1
    out = run("open_clip", name, view=clip, params=asked[0])
    assert [r["id"] for r in requests(out, "open_sample")] == [clip.first().id]  # once the clip is shown
    # clicking a speaker's bar shows all of their clips; the panel then counts the videos behind them
    out = run(
        "speakers_panel",
        name,
        params={"__method__": "on_speaker_click", "x": segs[0].label, **panel, "panel_state": state},
    )
    clips = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert clips.distinct("speaker_segments.label") == [segs[0].label]
    assert len(clips) == sum(s.label == segs[0].label for s in segs)
    out = run(
        "speakers_panel", name, view=clips, params={"__method__": "on_change_view", **panel, "panel_state": state}
    )
    state = panel_state(out)
    assert state["video_id"] == sample.id and {r["videos"] for r in state["screen_time"]} == {1}


def test_cluster_unknowns_then_name_a_cluster_in_the_panel(annotated, gallery, tmp_path):
    import shutil as sh

    import fiftyone as fo

    from speakerid.identity.gallery import Gallery

    name, info = annotated
    ds = fo.load_dataset(name)
    unknown_tracks = ds.filter_labels("face_tracks", fo.ViewField("label") == "unknown").count("face_tracks.detections")
    out = run("cluster_unknowns", name, params={})
    assert sum(out.result["sizes"].values()) == unknown_tracks and out.result["clusters"] < unknown_tracks
    assert requests(out, "reload_dataset")
    panel = {"panel_id": "speakers-2", "panel_state": {}}
    state = panel_state(run("speakers_panel", name, params={"__method__": "on_load", **panel}))
    rows = state["clusters"]
    assert [r["cluster"] for r in rows] == list(range(1, len(rows) + 1)) and state["cluster_choice"] == "1"
    assert state["clusters_md"].count("](/media?filepath=") == min(len(rows), 12)  # a face crop each
    first = rows[0]
    out = run(
        "speakers_panel", name, params={"__method__": "on_cluster_click", "row": 0, **panel, "panel_state": state}
    )
    tracks = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert len(tracks) == first["tracks"]  # its tracks, as clips
    copy = tmp_path / "named.sid"
    sh.copy(gallery, copy)
    state = {**state, "cluster_name": "Street Person", "gallery": str(copy)}
    out = run("speakers_panel", name, params={"__method__": "on_name_cluster", **panel, "panel_state": state})
    assert requests(out, "reload_dataset") and requests(out, "notify")[0]["variant"] == "success"
    labels = ds.filter_labels("face_tracks", fo.ViewField("cluster") == 1).values("face_tracks.detections.label")
    assert {label for sample in labels for label in sample} == {"Street Person"}
    assert Gallery.load(copy).counts()["Street Person"] == first["tracks"]
    assert "Street Person" in {r["speaker"] for r in panel_state(out)["screen_time"]}
    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="Invalid enum value"):  # named: no longer offered
        run("name_cluster", name, params={"cluster": 1, "name": "Again", "gallery": str(copy)})
    with pytest.raises(ExecutionError, match="choose a name"):
        run("name_cluster", name, params={"cluster": 2, "name": "unknown", "gallery": str(copy)})
    out = run("name_cluster", name, params={"cluster": 2, "name": "Second Person", "gallery": str(copy)})
    assert out.result["tracks"] == rows[1]["tracks"] and requests(out, "reload_dataset")


def test_index_faces_then_sort_by_similarity(annotated):
    import fiftyone as fo
    from fiftyone import ViewField as F

    name, info = annotated
    ds = fo.load_dataset(name)
    out = run("index_faces", name, params={"map": True, "show": True})
    assert out.result["faces"] == ds.count("frames.faces.detections") and out.result["brain_key"] == "speakerid_faces"
    faces = fo.DatasetView._build(ds, requests(out, "set_view")[0]["view"])
    assert len(faces) == out.result["faces"]  # one patch per face
    query = faces.match(F("faces.label") == "lin_manuel_miranda")
    ranked = faces.sort_by_similarity(query.first().id, brain_key="speakerid_faces", k=len(query))
    assert set(ranked.values("faces.label")) == {"lin_manuel_miranda"}


def test_plugin_install_cli(tmp_path, capsys):
    import fiftyone as fo
    import fiftyone.plugins as fop

    from speakerid import plugin_install
    from speakerid.cli.main import main

    target = tmp_path / "fo-plugins"
    assert main(["plugin", "install", "--dir", str(target)]) == 0
    link = target / "speakerid"
    assert link.is_symlink() and link.resolve() == plugin_install.plugin_source()
    assert main(["plugin", "install", "--dir", str(target)]) == 0  # same link again: nothing to do
    assert main(["plugin", "install", "--dir", str(target), "--copy"]) == 2  # would replace: needs --force
    assert "already exists" in capsys.readouterr().err
    assert main(["plugin", "install", "--dir", str(target), "--copy", "--force"]) == 0
    assert not link.is_symlink() and (link / "fiftyone.yml").is_file() and (link / "panel.py").is_file()
    assert not list(link.rglob("__pycache__"))
    before = fo.config.plugins_dir
    try:
        fo.config.plugins_dir = str(target)
        found = [p for p in fop.list_plugins() if p.name == PLUGIN]
        assert [Path(p.directory) for p in found] == [link]
        assert main(["plugin", "path"]) == 0
        assert f"FiftyOne finds it at {link}" in capsys.readouterr().out
    finally:
        fo.config.plugins_dir = before


def test_app_plugins_dir_keeps_user_plugins(tmp_path, monkeypatch):
    import fiftyone as fo
    import fiftyone.plugins as fop

    from speakerid import plugin_install

    user = tmp_path / "user-plugins" / "mine"
    user.mkdir(parents=True)
    (user / "fiftyone.yml").write_text('name: "@me/mine"\n')
    monkeypatch.setenv("SPEAKERID_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fo.config, "plugins_dir", str(user.parent))
    merged = plugin_install.app_plugins_dir()
    monkeypatch.setattr(fo.config, "plugins_dir", str(merged))
    assert {p.name for p in fop.list_plugins()} >= {"@me/mine", PLUGIN}
    assert (user / "fiftyone.yml").is_file() and sorted(p.name for p in user.parent.iterdir()) == ["mine"]
