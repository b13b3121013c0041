"""What the Speakers panel's stranger review shows and acts on: a cluster's own clips and boxes,
the strip of its members' faces, and the tracks the user selected.

App-facing glue over speakerid.review.clusters / cluster_actions (split, merge, reject, undo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fiftyone import ViewField as F

from speakerid.errors import SpeakeridError
from speakerid.review.cluster_actions import decisions
from speakerid.review.clusters import CLUSTER, Cluster
from speakerid.review.frames import crop_file

from .common import FACES, FRAME_FACES, TRACKS, UNKNOWN
from .panel_views import media_url

STRIP_LIMIT = 24  # member faces shown before "and N more"
STRIP_ROW = 8  # faces per row of the strip


def cluster_view(dataset: Any, number: int) -> Any:
    """The cluster's tracks as clips, drawing only the cluster's own face boxes (a clip's frames
    also hold other people's boxes, which would read as members)."""
    tracks = dataset.filter_labels(TRACKS, (F(CLUSTER) == number) & (F("label") == UNKNOWN))
    return tracks.to_clips(TRACKS).filter_labels(FRAME_FACES, F(CLUSTER) == number, only_matches=False)


def member_strip(cluster: Cluster | None, limit: int = STRIP_LIMIT) -> str:
    """Markdown: the best face of every track of ``cluster`` in a row, longest tracks first, so
    the user sees who is in it before naming it."""
    if cluster is None:
        return ""
    members = sorted(cluster.tracks, key=lambda t: (-t.faces, t.sample_id, t.index))
    cells = []
    for t in members[:limit]:
        caption = f"{Path(t.filepath).name}, track {t.index}, {t.screen_time:.1f} s"
        try:
            cells.append(f'![track {t.index}]({media_url(crop_file(t))} "{caption}")')
        except SpeakeridError:
            cells.append(f"_(track {t.index}: no picture)_")
    rows = [cells[i : i + STRIP_ROW] for i in range(0, len(cells), STRIP_ROW)]
    width = min(len(cells), STRIP_ROW)
    table = ["| " + " | ".join([""] * width) + " |", "|" + "---|" * width]
    table += ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    more = f"\n\n_and {len(members) - limit} more_" if len(members) > limit else ""
    return f"**Cluster {cluster.id}: {len(members)} track(s)**\n\n" + "\n".join(table) + more


def undo_label(dataset: Any) -> str | None:
    """What **Undo** would take back (None when nothing)."""
    done = decisions(dataset) if dataset is not None else []
    return f"Undo {done[-1].describe()}" if done else None


def selected_track_keys(ctx: Any) -> list[str]:
    """Track keys of what the user selected: clips of a cluster view (or any view with
    ``face_tracks``), or face boxes in the sample view."""
    keys = []
    view = ctx.view
    if ctx.selected and TRACKS in view.get_field_schema():
        chosen = view.select(list(ctx.selected))
        is_clips = "sample_id" in view.get_field_schema()
        ids, tracks = chosen.values(["sample_id" if is_clips else "id", f"{TRACKS}.index"])
        for sample_id, index in zip(ids, tracks):
            for i in index if isinstance(index, list) else [index]:
                if i is not None:
                    keys.append(f"{sample_id}:{i}")
    boxes = {s["label_id"] for s in ctx.selected_labels or [] if s.get("field") in (FACES, FRAME_FACES)}
    if boxes:
        samples = {s["sample_id"] for s in ctx.selected_labels if s["label_id"] in boxes}
        video_ids = [str(view[s].sample_id) if "sample_id" in view.get_field_schema() else s for s in samples]
        frames = ctx.dataset.select(video_ids)
        for sample_id, fids, fts in zip(
            *frames.values(["id", f"{FRAME_FACES}.detections.id", f"{FRAME_FACES}.detections.index"])
        ):
            for frame_ids, frame_tracks in zip(fids or [], fts or []):
                keys += [f"{sample_id}:{t}" for fid, t in zip(frame_ids or [], frame_tracks or []) if fid in boxes]
    return list(dict.fromkeys(keys))
