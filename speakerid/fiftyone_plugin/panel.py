"""The "Speakers" panel: speaker timeline and screen time as charts and tables, the recurring
strangers (clusters of unknown tracks) to name, and the gallery with its faces.

Clicking a timeline bar or row plays that segment (a clip of it, opened in the modal); clicking a
speaker shows every clip in which they speak; clicking a cluster shows its tracks. Naming a
cluster enrolls it and relabels its tracks everywhere (speakerid.review.naming), then the App
reloads so the grid and an open sample show the new name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types
from bson import ObjectId
from fiftyone import ViewField as F

from speakerid.errors import SpeakeridError
from speakerid.review.cluster_actions import merge_clusters, recluster, reject_tracks, split_cluster, undo_last
from speakerid.review.clusters import cluster_similarity, read_clusters
from speakerid.review.gallery_link import dataset_gallery, remember_gallery
from speakerid.review.naming import name_cluster
from speakerid.review.screen_time import screen_time_totals
from speakerid.review.video_of import video_of, videos_in

from . import panel_views as pv
from . import stranger_review as sr
from .common import SEGMENTS, TRACKS

SAMPLE_TAB = "fo-sample-modal-plugin"  # the App's own modal tab that plays the video


def current_video(ctx: Any) -> str | None:
    """The video the timeline shows: the one open in the modal, else the selected one, else the
    first of the view; whatever the view shows (clips, frames, patches), it is a video's id."""
    for candidate in [ctx.current_sample, *ctx.selected]:
        video = video_of(ctx.view, candidate) if candidate else None
        if video:
            return video
    first = ctx.view.limit(1).values("id")
    return video_of(ctx.view, first[0]) if first else None


class SpeakersPanel(foo.Panel):
    @property
    def config(self) -> foo.PanelConfig:
        return foo.PanelConfig(
            name="speakers_panel",
            label="Speakers",
            icon="record_voice_over",
            surfaces="grid modal",
            help_markdown="speakerid: the speaker timeline of the current video, screen time per speaker in the "
            "current view, recurring strangers to name, and the gallery. Click a bar or row to play "
            "a segment, a speaker for all their clips, a cluster for its tracks.",
        )

    # --- events -----------------------------------------------------------------------------
    def on_load(self, ctx) -> None:
        if not ctx.panel.get_state("gallery"):
            ctx.panel.set_state("gallery", dataset_gallery(ctx.dataset))
        self._show_gallery(ctx)
        self._show_view(ctx)
        self._show_clusters(ctx)

    def on_change_view(self, ctx) -> None:
        self._show_view(ctx)

    def on_change_current_sample(self, ctx) -> None:
        self._show_view(ctx)

    on_change_selected = on_change_current_sample

    def on_change_selected_labels(self, ctx) -> None:
        """**Name these faces** enrolls the selected faces and clears the selection: show the
        gallery it enrolled them in, as it is now."""
        ctx.panel.set_state("gallery", dataset_gallery(ctx.dataset) or ctx.panel.get_state("gallery"))
        self._show_gallery(ctx)
        self._show_view(ctx)

    def on_change_dataset(self, ctx) -> None:
        ctx.panel.set_state("gallery", dataset_gallery(ctx.dataset))
        self.on_load(ctx)

    def on_gallery_change(self, ctx) -> None:
        ctx.panel.set_state("gallery", ctx.params.get("value") or "")
        self._show_gallery(ctx)

    def on_refresh(self, ctx) -> None:
        self.on_load(ctx)

    def on_all_videos(self, ctx) -> None:
        ctx.ops.clear_view()

    def on_segment_click(self, ctx) -> None:
        """A timeline table row: play that segment."""
        rows = ctx.panel.get_state("segments") or []
        row = ctx.params.get("row")
        if isinstance(row, int) and 0 <= row < len(rows):
            self._play_segment(ctx, rows[row]["id"])

    def on_timeline_click(self, ctx) -> None:
        """A timeline bar: play that segment."""
        if ctx.params.get("id"):
            self._play_segment(ctx, ctx.params["id"])

    def on_speaker_click(self, ctx) -> None:
        """A screen-time row or bar: every clip in which that speaker speaks."""
        name = ctx.params.get("x")
        rows = ctx.panel.get_state("screen_time") or []
        row = ctx.params.get("row")
        if name is None and isinstance(row, int) and 0 <= row < len(rows):
            name = rows[row]["speaker"]
        if name:
            ctx.ops.set_view(videos_in(ctx.view).filter_labels(SEGMENTS, F("label") == name).to_clips(SEGMENTS))

    def on_cluster_click(self, ctx) -> None:
        """A cluster row: its tracks as clips (only its own boxes drawn), and it becomes the one
        to name."""
        rows = ctx.panel.get_state("clusters") or []
        row = ctx.params.get("row")
        if isinstance(row, int) and 0 <= row < len(rows):
            self._choose_cluster(ctx, rows[row]["cluster"])

    def on_find_strangers(self, ctx) -> None:
        """Cluster the unknowns again; the user's splits, merges and rejects are replayed."""
        try:
            gallery = ctx.panel.get_state("gallery") or ""
            from speakerid.identity.gallery import Gallery

            similarity = cluster_similarity(Gallery.load(gallery) if gallery else None)
            clusters = recluster(ctx.dataset, similarity)
            ctx.ops.notify(f"{len(clusters)} cluster(s) of unknown tracks", variant="success")
            # numbers are given afresh: a kept choice would now point at other people
            ctx.panel.set_state("cluster_choice", None)
            ctx.panel.set_state("merge_with", None)
        except SpeakeridError as exc:
            ctx.ops.notify(str(exc), variant="error")
        self._show_clusters(ctx)
        ctx.ops.reload_dataset()

    def on_cluster_split(self, ctx) -> None:
        """Split the tracks selected in the grid (clips of the cluster) off the chosen cluster."""
        self._cluster_action(ctx, lambda n: split_cluster(ctx.dataset, n, sr.selected_track_keys(ctx)), "split")

    def on_cluster_merge(self, ctx) -> None:
        other = ctx.panel.get_state("merge_with")
        if other in (None, ""):
            ctx.ops.notify("choose the cluster to merge with", variant="error")
            return
        self._cluster_action(ctx, lambda n: merge_clusters(ctx.dataset, n, int(other)), "merged")

    def on_cluster_reject(self, ctx) -> None:
        """Not a stranger to name: the selected tracks of the chosen cluster, or all of it."""
        self._cluster_action(ctx, lambda n: reject_tracks(ctx.dataset, n, sr.selected_track_keys(ctx)), "rejected")

    def on_cluster_undo(self, ctx) -> None:
        try:
            decision, _ = undo_last(ctx.dataset)
            ctx.ops.notify(f"undone: {decision.describe()}", variant="success")
        except SpeakeridError as exc:
            ctx.ops.notify(str(exc), variant="error")
            return
        self._show_clusters(ctx)
        ctx.ops.reload_dataset()

    def on_cluster_show(self, ctx) -> None:
        number = ctx.panel.get_state("cluster_choice")
        if number not in (None, ""):
            self._choose_cluster(ctx, int(number))

    def on_cluster_merge_choice(self, ctx) -> None:
        ctx.panel.set_state("merge_with", ctx.params.get("value"))

    def on_name_change(self, ctx) -> None:
        ctx.panel.set_state("cluster_name", ctx.params.get("value") or "")

    def on_cluster_choice(self, ctx) -> None:
        ctx.panel.set_state("cluster_choice", ctx.params.get("value"))
        self._show_clusters(ctx)

    def on_name_cluster(self, ctx) -> None:
        number, name = ctx.panel.get_state("cluster_choice"), ctx.panel.get_state("cluster_name") or ""
        gallery = ctx.panel.get_state("gallery") or ""
        try:
            if number is None:
                raise SpeakeridError("choose a cluster to name")
            if not gallery:
                raise SpeakeridError("set the gallery file first (the person is enrolled there)")
            named = name_cluster(ctx.dataset, int(number), name, gallery)
            remember_gallery(ctx.dataset, None, named.gallery)
            ctx.ops.notify(f"{named.name}: {named.tracks} track(s), {named.faces} face(s) named", variant="success")
        except SpeakeridError as exc:
            ctx.ops.notify(str(exc), variant="error")
            return
        ctx.panel.set_state("cluster_name", "")
        ctx.panel.set_state("naming.cluster_name", "")  # the text box lives in the "naming" row
        ctx.panel.set_state("cluster_choice", None)  # the first remaining cluster is chosen next
        self.on_load(ctx)
        ctx.ops.reload_dataset()  # the grid and an open modal show the new name

    def on_index_faces(self, ctx) -> None:
        ctx.prompt("@speakerid/speakerid/index_faces")

    # --- state ------------------------------------------------------------------------------
    def _play_segment(self, ctx, segment_id: str) -> None:
        """Show the clip of one segment and open it (the App plays it from the segment's first
        frame). In the modal, the modal turns to its Sample tab and closes first: it shows a
        sample the clips view will not hold. ``open_clip`` opens the clip once the App shows its
        view (at once, it would look its id up in the previous view: "sample not found"), so this
        works without a grid panel too."""
        video = ctx.panel.get_state("video_id")
        if not video:
            return
        clip = ctx.dataset.select(video).filter_labels(SEGMENTS, F("_id") == ObjectId(segment_id)).to_clips(SEGMENTS)
        if ctx.current_sample:  # the modal's tab: it reopens on the clip's video, not on this panel
            ctx.ops.open_panel(SAMPLE_TAB)
            ctx.ops.close_sample()
        ctx.ops.set_view(clip)
        ctx.trigger(f"{self.plugin_name}/open_clip", params={"clip_id": segment_id})

    def _show_gallery(self, ctx) -> None:
        try:
            text = pv.gallery_markdown(ctx.panel.get_state("gallery") or "")
        except SpeakeridError as exc:
            text = f"_{exc}_"
        ctx.panel.set_state("gallery_md", text)

    def _show_view(self, ctx) -> None:
        video = current_video(ctx)
        sample = ctx.dataset[video] if video else None
        has_segments = SEGMENTS in ctx.dataset.get_field_schema()
        segments = pv.timeline_rows(sample) if sample is not None and has_segments else []
        title = f"**Speaker timeline: {Path(sample.filepath).name}**" if sample is not None else "**Speaker timeline**"
        if sample is not None and not segments:
            title += "\n\n_no speaker segments: annotate this video (Annotate speakers)_"
        totals = screen_time_totals(videos_in(ctx.view))
        timeline, timeline_layout = pv.timeline_plot(sample if has_segments else None)
        chart, chart_layout = pv.screen_time_plot(totals)
        ctx.panel.set_state(
            {
                "video_id": video,
                "timeline_md": title,
                "segments": segments,
                "screen_time": pv.screen_time_rows(totals),
                "timeline_layout": timeline_layout,
                "screen_time_layout": chart_layout,
            }
        )
        ctx.panel.set_data({"timeline_plot": timeline, "screen_time_plot": chart})

    def _show_clusters(self, ctx) -> None:
        clusters = read_clusters(ctx.dataset) if TRACKS in ctx.dataset.get_field_schema() else []
        choice = ctx.panel.get_state("cluster_choice")
        choice = int(choice) if choice not in (None, "") else None
        if choice not in {c.id for c in clusters}:
            choice = clusters[0].id if clusters else None
        merge_with = ctx.panel.get_state("merge_with")
        if merge_with in (None, "") or int(merge_with) == choice or int(merge_with) not in {c.id for c in clusters}:
            merge_with = next((c.id for c in clusters if c.id != choice), None)
        ctx.panel.set_state(
            {
                "clusters": pv.cluster_rows(clusters),
                "clusters_md": pv.clusters_markdown(clusters),
                "cluster_choice": None if choice is None else str(choice),
                "merge_with": None if merge_with is None else str(merge_with),
                "cluster_strip_md": sr.member_strip(next((c for c in clusters if c.id == choice), None)),
                "cluster_undo": sr.undo_label(ctx.dataset),
            }
        )

    def _choose_cluster(self, ctx, number: int) -> None:
        """Show cluster ``number``'s tracks in the grid and make it the one to act on."""
        ctx.panel.set_state("cluster_choice", str(number))
        self._show_clusters(ctx)
        ctx.ops.set_view(sr.cluster_view(ctx.dataset, int(number)))

    def _cluster_action(self, ctx, action, done: str) -> None:
        """Run a split/merge/reject on the chosen cluster, then show the clusters it leaves."""
        number = ctx.panel.get_state("cluster_choice")
        try:
            if number in (None, ""):
                raise SpeakeridError("choose a cluster first")
            clusters = action(int(number))
        except SpeakeridError as exc:
            ctx.ops.notify(str(exc), variant="error")
            return
        ctx.ops.notify(f"cluster {number} {done}: {len(clusters)} cluster(s) now", variant="success")
        ctx.panel.set_state("cluster_choice", None)
        self._show_clusters(ctx)
        ctx.ops.clear_selected_samples()
        ctx.ops.reload_dataset()

    def render(self, ctx) -> types.Property:
        panel = types.Object()
        panel.md(ctx.panel.get_state("timeline_md") or "**Speaker timeline**", name="timeline_md")
        panel.plot(
            "timeline_plot",
            layout=ctx.panel.get_state("timeline_layout") or {},
            config={"displayModeBar": False},
            on_click=self.on_timeline_click,
        )
        panel.plot(
            "screen_time_plot",
            layout=ctx.panel.get_state("screen_time_layout") or {},
            config={"displayModeBar": False},
            on_click=self.on_speaker_click,
        )
        buttons = panel.h_stack("buttons", align_x="left")
        buttons.btn("refresh", label="Refresh", icon="refresh", on_click=self.on_refresh)
        buttons.btn("all_videos", label="Back to all videos", on_click=self.on_all_videos)
        buttons.btn("index_faces", label="Index faces", on_click=self.on_index_faces)
        panel.md("**Gallery**", name="gallery_title")
        panel.md(ctx.panel.get_state("gallery_md") or "", name="gallery_md")
        panel.str("gallery", label="Gallery file (.sid)", on_change=self.on_gallery_change)
        self._render_clusters(ctx, panel)
        self._render_tables(panel)
        return types.Property(panel, view=types.GridView(orientation="vertical", height=100, width=100))

    def _render_clusters(self, ctx, panel: Any) -> None:
        panel.md("**Recurring strangers**: unknown tracks grouped by person", name="clusters_title")
        panel.btn("find_strangers", label="Find recurring strangers", on_click=self.on_find_strangers)
        panel.md(ctx.panel.get_state("clusters_md") or "", name="clusters_md")
        rows = ctx.panel.get_state("clusters") or []
        undo = ctx.panel.get_state("cluster_undo")
        if rows:
            choice = types.Dropdown()
            for row in rows:
                choice.add_choice(
                    str(row["cluster"]),
                    label=f"cluster {row['cluster']}: {row['tracks']} track(s), {row['screen_time']}",
                )
            panel.enum(
                "cluster_choice", choice.values(), label="Cluster", view=choice, on_change=self.on_cluster_choice
            )
            panel.md(ctx.panel.get_state("cluster_strip_md") or "", name="cluster_strip_md")
            naming = panel.h_stack("naming", align_x="left")
            naming.str("cluster_name", label="Name", on_change=self.on_name_change)
            naming.btn("name_cluster", label="Name cluster", on_click=self.on_name_cluster)
            actions = panel.h_stack("cluster_actions", align_x="left")
            actions.btn("show_cluster", label="Show its tracks", on_click=self.on_cluster_show)
            actions.btn("split_cluster", label="Split selected off", on_click=self.on_cluster_split)
            actions.btn("reject_cluster", label="Reject", on_click=self.on_cluster_reject)
            if len(rows) > 1:
                other = types.Dropdown()
                for row in rows:
                    other.add_choice(str(row["cluster"]), label=f"cluster {row['cluster']}")
                panel.enum(
                    "merge_with", other.values(), label="Merge with", view=other, on_change=self.on_cluster_merge_choice
                )
                panel.btn("merge_cluster", label="Merge clusters", on_click=self.on_cluster_merge)
        if undo:
            panel.btn("undo_cluster", label=undo, icon="undo", on_click=self.on_cluster_undo)

    def _render_tables(self, panel: Any) -> None:
        """The same data as tables: click a segment to play it, a speaker for their clips, a
        cluster for its tracks."""
        tables = (
            (
                "segments",
                self.on_segment_click,
                (
                    ("speaker", "Speaker"),
                    ("start", "Start"),
                    ("end", "End"),
                    ("duration", "Duration"),
                    ("confidence", "Confidence"),
                    ("frames", "Frames"),
                ),
            ),
            (
                "screen_time",
                self.on_speaker_click,
                (("speaker", "Speaker"), ("on_screen", "On screen"), ("speaking", "Speaking"), ("videos", "Videos")),
            ),
            (
                "clusters",
                self.on_cluster_click,
                (("cluster", "Cluster"), ("tracks", "Tracks"), ("videos", "Videos"), ("screen_time", "Screen time")),
            ),
        )
        panel.md("**Details** (click a row: play a segment, a speaker's clips, a cluster's tracks)", name="details")
        for name, on_click, columns in tables:
            table = types.TableView(on_click_row=on_click)
            for key, label in columns:
                table.add_column(key, label=label)
            panel.list(name, types.Object(), view=table)
