"""The "Speakers" panel: the gallery, the current video's speaker timeline, screen time per speaker.

Clicking a timeline row shows that segment as a clip (the App plays from its start); clicking a
screen-time row shows every clip in which that person speaks.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fiftyone.operators as foo
import fiftyone.operators.types as types
from bson import ObjectId
from fiftyone.core.clips import ClipsView
from fiftyone import ViewField as F

from speakerid.cache import cache_dir
from speakerid.errors import SpeakeridError

from .common import SEGMENTS, SPEAKERS, default_gallery, gallery_problem, load_gallery

THUMB_PX = 48
PEOPLE_PER_ROW = 2
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def clock(seconds: float | None) -> str:
    """``m:ss.s`` for a time in seconds."""
    if seconds is None:
        return ""
    minutes, rest = divmod(max(float(seconds), 0.0), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def thumbnail(image: str) -> Path | None:
    """A small square JPEG of a reference photo (cached), or None if the photo is gone."""
    from PIL import Image, ImageOps

    src = Path(image)
    if src.suffix.lower() not in IMAGE_SUFFIXES or not src.is_file():
        return None
    key = hashlib.sha1(f"{src.resolve()}:{src.stat().st_mtime_ns}:{THUMB_PX}".encode()).hexdigest()[:20]
    out = cache_dir("thumbnails") / f"{key}.jpg"
    if not out.exists():
        with Image.open(src) as im:
            ImageOps.fit(ImageOps.exif_transpose(im).convert("RGB"), (THUMB_PX, THUMB_PX)).save(out, quality=85)
    return out


def gallery_markdown(path: str) -> str:
    """People, reference-face counts and a thumbnail each, as a compact Markdown table."""
    problem = gallery_problem(path)
    if problem:
        return f"_{problem}_"
    gallery = load_gallery(path)
    first: dict[str, str] = {}
    for person, source in zip(gallery.person, gallery.sources):
        first.setdefault(gallery.names[person], source)
    cells = []
    for name, count in gallery.counts().items():
        thumb = thumbnail(first.get(name, ""))
        image = f"![{name}](/media?filepath={quote(str(thumb))})" if thumb else ""
        cells += [image, f"{name} ({count})"]
    cells += [""] * (-len(cells) % (2 * PEOPLE_PER_ROW))
    width = 2 * PEOPLE_PER_ROW
    lines = [f"**{len(gallery.names)} people** (reference faces in brackets; {gallery.embedder}, "
             f"unknown below similarity {gallery.threshold:.2f})", "",
             "|" + " | person |" * PEOPLE_PER_ROW, "|" + "---|" * width]
    lines += ["| " + " | ".join(cells[i:i + width]) + " |" for i in range(0, len(cells), width)]
    return "\n".join(lines)


def is_clips(view: Any) -> bool:
    """Whether ``view`` shows clips cut from videos (its samples point to their source video)."""
    return isinstance(view, ClipsView)


def source_sample_id(view: Any, sample_id: str) -> str:
    """The video behind ``sample_id``, also when the view shows clips of it."""
    if is_clips(view):
        return str(view[sample_id].sample_id)
    return sample_id


def current_video(ctx: Any) -> str | None:
    """The video the timeline shows: the one open in the modal, else the selected one, else the first."""
    view = ctx.view
    for candidate in [ctx.current_sample, *ctx.selected]:
        if candidate:
            try:
                return source_sample_id(view, candidate)
            except KeyError:
                continue
    first = view.first() if len(view) else None
    return source_sample_id(view, first.id) if first is not None else None


def timeline_rows(sample: Any) -> list[dict]:
    """One row per speaker segment of ``sample``, in time order."""
    segs = sample[SEGMENTS].detections if sample[SEGMENTS] is not None else []
    rows = []
    for seg in sorted(segs, key=lambda s: s.support[0]):
        start, end = seg["start_time"], seg["end_time"]
        rows.append({"id": seg.id, "speaker": seg.label, "start": clock(start), "end": clock(end),
                     "duration": f"{end - start:.1f} s", "confidence": f"{seg.confidence or 0:.2f}",
                     "frames": f"{seg.support[0]}-{seg.support[1]}"})
    return rows


def screen_time_rows(videos: Any) -> list[dict]:
    """Per speaker over ``videos``: seconds on screen, seconds as the frame's speaker, videos seen in."""
    schema = videos.get_field_schema()
    if SPEAKERS not in schema:
        return []
    names, seconds = videos.values([f"{SPEAKERS}.classifications.label", f"{SPEAKERS}.classifications.screen_time"])
    totals: dict[str, list[float]] = {}
    for ls, ts in zip(names, seconds):
        for name, secs in zip(ls or [], ts or []):
            row = totals.setdefault(name, [0.0, 0.0, 0])
            row[0] += secs or 0.0
            row[2] += 1
    if SEGMENTS in schema:
        labels, starts, ends = videos.values([f"{SEGMENTS}.detections.label", f"{SEGMENTS}.detections.start_time",
                                              f"{SEGMENTS}.detections.end_time"])
        for ls, ss, es in zip(labels, starts, ends):
            for name, s, e in zip(ls or [], ss or [], es or []):
                totals.setdefault(name, [0.0, 0.0, 0])[1] += (e or 0.0) - (s or 0.0)
    return [{"speaker": n, "on_screen": f"{v[0]:.1f} s", "speaking": f"{v[1]:.1f} s", "videos": int(v[2])}
            for n, v in sorted(totals.items(), key=lambda kv: -kv[1][0])]


def videos_of(ctx: Any) -> Any:
    """The videos in the current view (a clips view counts the videos it cuts)."""
    view = ctx.view
    if is_clips(view):
        return ctx.dataset.select(view.distinct("sample_id"))
    return view


class SpeakersPanel(foo.Panel):
    @property
    def config(self) -> foo.PanelConfig:
        return foo.PanelConfig(
            name="speakers_panel",
            label="Speakers",
            icon="record_voice_over",
            surfaces="grid modal",
            help_markdown="speakerid: the gallery, the speaker timeline of the current video and screen time "
                          "per speaker in the current view. Click a segment to play it; click a speaker to see "
                          "all clips where they speak.",
        )

    def on_load(self, ctx) -> None:
        if not ctx.panel.get_state("gallery"):
            ctx.panel.set_state("gallery", default_gallery(ctx.dataset))
        self._show_gallery(ctx)
        self._show_view(ctx)

    def on_change_view(self, ctx) -> None:
        self._show_view(ctx)

    on_change_current_sample = on_change_view
    on_change_selected = on_change_view

    def on_change_dataset(self, ctx) -> None:
        ctx.panel.set_state("gallery", default_gallery(ctx.dataset))
        self.on_load(ctx)

    def on_gallery_change(self, ctx) -> None:
        ctx.panel.set_state("gallery", ctx.params.get("value") or "")
        self._show_gallery(ctx)

    def on_refresh(self, ctx) -> None:
        self._show_gallery(ctx)
        self._show_view(ctx)

    def on_segment_click(self, ctx) -> None:
        rows = ctx.panel.get_state("segments") or []
        row = ctx.params.get("row")
        video = ctx.panel.get_state("video_id")
        if not isinstance(row, int) or not 0 <= row < len(rows) or not video:
            return
        one = ctx.dataset.select(video).filter_labels(SEGMENTS, F("_id") == ObjectId(rows[row]["id"]))
        ctx.ops.set_view(one.to_clips(SEGMENTS))

    def on_speaker_click(self, ctx) -> None:
        rows = ctx.panel.get_state("screen_time") or []
        row = ctx.params.get("row")
        if not isinstance(row, int) or not 0 <= row < len(rows):
            return
        name = rows[row]["speaker"]
        ctx.ops.set_view(videos_of(ctx).filter_labels(SEGMENTS, F("label") == name).to_clips(SEGMENTS))

    def on_all_videos(self, ctx) -> None:
        ctx.ops.clear_view()

    def _show_gallery(self, ctx) -> None:
        try:
            text = gallery_markdown(ctx.panel.get_state("gallery") or "")
        except SpeakeridError as exc:
            text = f"_{exc}_"
        ctx.panel.set_state("gallery_md", text)

    def _show_view(self, ctx) -> None:
        video = current_video(ctx)
        sample = ctx.dataset[video] if video else None
        segments = timeline_rows(sample) if sample is not None and SEGMENTS in ctx.dataset.get_field_schema() else []
        title = f"**Speaker timeline: {Path(sample.filepath).name}** (click a segment to play it)" \
            if sample is not None else "**Speaker timeline**"
        if sample is not None and not segments:
            title += "\n\n_no speaker segments: run annotate_videos on this video_"
        ctx.panel.set_state({"video_id": video, "timeline_md": title, "segments": segments,
                             "screen_time": screen_time_rows(videos_of(ctx))})

    def render(self, ctx) -> types.Property:
        panel = types.Object()
        panel.md(ctx.panel.get_state("timeline_md") or "**Speaker timeline**", name="timeline_md")
        timeline = types.TableView(on_click_row=self.on_segment_click)
        for key, label in (("speaker", "Speaker"), ("start", "Start"), ("end", "End"), ("duration", "Duration"),
                           ("confidence", "Confidence"), ("frames", "Frames")):
            timeline.add_column(key, label=label)
        panel.list("segments", types.Object(), view=timeline)
        panel.md("**Screen time in the current view** (click a speaker for their clips)", name="screen_title")
        totals = types.TableView(on_click_row=self.on_speaker_click)
        for key, label in (("speaker", "Speaker"), ("on_screen", "On screen"), ("speaking", "Speaking"),
                           ("videos", "Videos")):
            totals.add_column(key, label=label)
        panel.list("screen_time", types.Object(), view=totals)
        buttons = panel.h_stack("buttons", align_x="left")
        buttons.btn("refresh", label="Refresh", icon="refresh", on_click=self.on_refresh)
        buttons.btn("all_videos", label="Back to all videos", on_click=self.on_all_videos)
        panel.md("**Gallery**", name="gallery_title")
        panel.str("gallery", label="Gallery file (.sid)", on_change=self.on_gallery_change)
        panel.md(ctx.panel.get_state("gallery_md") or "", name="gallery_md")
        return types.Property(panel, view=types.GridView(orientation="vertical", height=100, width=100))
