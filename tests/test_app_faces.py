"""Faces in the App through FiftyOne's own operator machinery, on the README's dataset plus the
street clip (real CLI, models and database): Find similar faces orders the grid with distances,
the Faces map panel colours people, and the stranger review (split, merge, reject, undo, the
member strip, a cluster's own boxes, naming refusing a far track)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from app_data import execute_operator
from app_harness import build_app_dataset, plugin_registered

pytestmark = [pytest.mark.slow, pytest.mark.app]

PLUGIN = "@speakerid/speakerid"
LIN = "lin_manuel_miranda"


@pytest.fixture(scope="module", autouse=True)
def plugins_dir(tmp_path_factory):
    with plugin_registered(tmp_path_factory.mktemp("fo-plugins")) as target:
        yield target


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The browser suite's dataset: README's ``speakerid annotate`` plus the street clip."""
    import fiftyone as fo

    data = build_app_dataset(tmp_path_factory.mktemp("app-dataset"))
    try:
        yield fo.load_dataset(data.name)
    finally:
        if fo.dataset_exists(data.name):
            fo.delete_dataset(data.name)


def execute(name: str, dataset, **ctx):
    return execute_operator(f"{PLUGIN}/{name}", {"dataset": dataset.name, **ctx})


def requests(result, operator: str) -> list[dict]:
    return [r["params"] for r in result.executor.to_json()["requests"] if r["operator_uri"] == operator]


def shown_view(dataset, result):
    import fiftyone as fo

    return fo.DatasetView._build(dataset, requests(result, "set_view")[-1]["view"])


def panel(name: str, dataset, method: str, state: dict | None = None, event: dict | None = None, **ctx):
    """Call a panel method as the App does (``event``: the click's params); returns (state
    after, result)."""
    params = {"__method__": method, "panel_id": f"{name}-1", "panel_state": state or {}, **(event or {})}
    out = execute(name, dataset, params=params, **ctx)
    after = dict(state or {})
    for p in requests(out, "patch_panel_state"):
        after.update(p["state"])
    return after, out


# --- face similarity --------------------------------------------------------------------------
def test_find_similar_faces_orders_the_grid_with_distances(dataset):
    from fiftyone import ViewField as F

    from speakerid.review.face_index import faces_view

    out = execute("index_faces", dataset, params={"map": False, "show": True})
    faces = faces_view(dataset)
    lin = faces.match(F("faces.label") == LIN)
    query = lin.first().id
    out = execute("find_similar_faces", dataset, view=faces, selected=[query], params={"k": 10, "per_track": False})
    ranked = shown_view(dataset, out)
    dist = ranked.values("face_distance")
    assert ranked.first().id == query and dist[0] == pytest.approx(0.0, abs=1e-6)
    assert dist == sorted(dist) and len(ranked) == 10
    assert ranked.values("faces.label")[: min(len(lin), 10)] == [LIN] * min(len(lin), 10)  # the same person first
    assert "face_distance" in ranked.get_field_schema()  # a numeric field: filter / sort by it
    # default: one face per track, from a face box chosen in the sample view
    video, frame = lin.first().sample_id, lin.first().frame_number
    box = [{"label_id": query, "sample_id": str(video), "frame_number": frame, "field": "frames.faces"}]
    out = execute("find_similar_faces", dataset, selected_labels=box, params={})
    per_track = shown_view(dataset, out)
    keys = list(zip(per_track.values("sample_id"), per_track.values("faces.index")))
    assert len(keys) == len(set(keys)) > 2 and per_track.values("faces.label")[0] == LIN
    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="select one face"):
        execute("find_similar_faces", dataset, view=faces, selected=[], params={})


# --- the faces map ------------------------------------------------------------------------------
def test_faces_map_colours_people_and_a_click_opens_the_face(dataset):
    state, out = panel("faces_map", dataset, "on_load")
    data = {k: v for p in requests(out, "patch_panel_data") for k, v in p["data"].items()}
    traces = data["map"]
    labels = dataset.values("frames.faces.detections.label", unwind=True)
    assert sum(len(t["ids"]) for t in traces) == len(labels)  # every face a point
    names = {t["name"].rsplit(" (", 1)[0] for t in traces}
    assert names == set(labels)  # one trace per person
    colors = [t["marker"]["color"] for t in traces]
    assert len(set(colors)) == len(colors)  # each a colour of its own
    points = np.array([(x, y) for t in traces for x, y in zip(t["x"], t["y"])])
    assert len(np.unique(points.round(4), axis=0)) == len(points)  # no faces stacked on one spot
    lin = next(t for t in traces if t["name"].startswith(LIN))
    state, out = panel("faces_map", dataset, "on_point_click", state, {"id": lin["ids"][0]})
    faces = shown_view(dataset, out)
    assert faces.select(lin["ids"][0]).first().faces.label == LIN and not requests(out, "open_sample")
    state, out = panel("faces_map", dataset, "on_change_view", state, view=faces)  # the App shows the faces
    asked = requests(out, f"{PLUGIN}/open_face")
    assert [a["face_id"] for a in asked] == [lin["ids"][0]] and not state["open_face"]
    from fiftyone.server.events.state import get_state

    assert execute("open_face", dataset, params=asked[0]).result["opened"] is None  # the videos: not there
    out = execute("open_face", dataset, view=faces, params=asked[0])
    assert out.result["opened"] == lin["ids"][0] == get_state().sample_id  # as a tile click opens it
    state, out = panel("faces_map", dataset, "on_color_by", state, {"value": "cluster"})  # before clustering: names
    assert state["color_by"] == "cluster"


# --- stranger review ------------------------------------------------------------------------------
def test_stranger_review_split_merge_reject_undo(dataset, tmp_path):
    from fiftyone import ViewField as F

    from speakerid.review.clusters import read_clusters

    gallery = str(tmp_path / "people.sid")
    shutil.copy(dataset.info["speakerid_gallery"], gallery)
    state, _ = panel("speakers_panel", dataset, "on_load", {"gallery": gallery})
    state, out = panel("speakers_panel", dataset, "on_find_strangers", state)
    before = read_clusters(dataset)
    multi = [c for c in before if len(c.tracks) > 1]
    assert multi and state["cluster_choice"] == "1"
    first = before[0]
    assert state["cluster_strip_md"].count("](/media?filepath=") == len(first.tracks)  # a face per member
    # a cluster's view draws its own boxes only
    state, out = panel("speakers_panel", dataset, "on_cluster_click", state, {"row": 0})
    clips = shown_view(dataset, out)
    assert len(clips) == len(first.tracks) and clips.distinct("frames.faces.detections.cluster") == [first.id]
    # split: the selected clip's track leaves the cluster, and stays apart after clustering again
    target = next(c for c in before if len(c.tracks) > 1)
    state = {**state, "cluster_choice": str(target.id)}
    state, out = panel("speakers_panel", dataset, "on_cluster_show", state)
    clips = shown_view(dataset, out)
    chosen = clips.first()
    moved = (str(chosen.sample_id), chosen.face_tracks.index)
    state, out = panel("speakers_panel", dataset, "on_cluster_split", state, view=clips, selected=[chosen.id])
    assert requests(out, "notify")[0]["variant"] == "success", requests(out, "notify")

    def cluster_of(key):
        return next(c.id for c in read_clusters(dataset) for t in c.tracks if (t.sample_id, t.index) == key)

    def partners(key):
        return {(t.sample_id, t.index) for c in read_clusters(dataset) for t in c.tracks if cluster_of(key) == c.id}

    assert partners(moved) == {moved}
    state, out = panel("speakers_panel", dataset, "on_find_strangers", state)
    assert partners(moved) == {moved}  # the decision survives re-clustering
    assert state["cluster_undo"].startswith("Undo split")
    # merge it back, then undo the merge
    rest = next(k for k in ((t.sample_id, t.index) for t in target.tracks) if k != moved)
    state = {**state, "cluster_choice": str(cluster_of(moved)), "merge_with": str(cluster_of(rest))}
    state, out = panel("speakers_panel", dataset, "on_cluster_merge", state)
    assert cluster_of(moved) == cluster_of(rest)
    state, out = panel("speakers_panel", dataset, "on_cluster_undo", state)
    assert partners(moved) == {moved} and state["cluster_undo"].startswith("Undo split")
    # reject a whole cluster: its tracks stay unknown and leave the list; undo brings them back
    count = len(read_clusters(dataset))
    state = {**state, "cluster_choice": "1"}
    gone = {(t.sample_id, t.index) for t in read_clusters(dataset)[0].tracks}
    state, out = panel("speakers_panel", dataset, "on_cluster_reject", state)
    assert len(read_clusters(dataset)) == count - 1
    labels = dataset.filter_labels("face_tracks", F("cluster") == None).values("face_tracks.detections")  # noqa: E711
    rejected = {(s.id, d.index) for s, dets in zip(dataset, labels) for d in dets}
    assert gone <= rejected
    state, out = panel("speakers_panel", dataset, "on_cluster_undo", state)
    assert len(read_clusters(dataset)) == count
    # undo everything: back to the clustering's own answer
    state, out = panel("speakers_panel", dataset, "on_cluster_undo", state)
    assert "cluster_undo" not in state or not state["cluster_undo"]
    assert len(partners(moved)) > 1


def test_naming_refuses_a_cluster_holding_someone_else(dataset, tmp_path):
    """Clustered with no cut-off, a cluster holds different people: naming refuses and names the
    far tracks; once they are rejected, the rest can be named."""
    from speakerid.errors import SpeakeridError
    from speakerid.review.cluster_actions import far_tracks, naming_similarity, recluster, reject_tracks, track_key
    from speakerid.review.naming import name_cluster
    from speakerid.review.tracks import read_tracks

    gallery = tmp_path / "people.sid"
    shutil.copy(dataset.info["speakerid_gallery"], gallery)
    members = {track_key(t) for t in recluster(dataset, -1.0)[0].tracks}
    assert len(members) > 2
    refused = 0
    for _ in range(len(members)):
        found = read_tracks(dataset, label="unknown")
        rows = [i for i, t in enumerate(found.tracks) if track_key(t) in members]
        number = found.tracks[rows[0]].cluster
        odd = sorted(far_tracks(found.embeddings[rows], naming_similarity(dataset)), key=lambda o: o[1])
        far = [track_key(found.tracks[rows[i]]) for i, _ in odd[:1]]  # the user rejects the oddest first
        if not far:
            break
        with pytest.raises(SpeakeridError, match="look like someone else"):
            name_cluster(dataset, number, "Mixed Person", gallery)
        refused += 1
        reject_tracks(dataset, number, far)
        members -= set(far)
    assert refused and far == [] and members
    named = name_cluster(dataset, number, "One Person", gallery)
    assert named.tracks == len(members)
