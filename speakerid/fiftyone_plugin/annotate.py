"""``annotate_videos``: label the targeted videos with speakerid, immediately or delegated.

The work is speakerid.batch.label_dataset (resumable: videos already labelled with the same
settings and gallery are skipped); this operator adds the form, progress within each video
(speakerid.batch.video_progress) and the App refresh. ``add_videos`` reuses the form and run.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.batch import label_dataset
from speakerid.batch.job import load_gallery as job_gallery
from speakerid.batch.video_progress import VideoProgress, expected_frames
from speakerid.errors import SpeakeridError
from speakerid.identity.gallery import Gallery
from speakerid.labels.app_config import configure_app
from speakerid.review.gallery_link import remember_gallery
from speakerid.settings import AnnotateSettings

from .common import button, gallery_input, invalid, require_videos

PROGRESS_EVERY_S = 1.0  # at most one progress update a second (each one is a database write when delegated)...
PROGRESS_STEP = 0.25  # ...besides one each time a quarter of a video is analysed (short videos on fast machines)


def settings_from_params(params: dict, gallery_path: str) -> AnnotateSettings:
    """AnnotateSettings from the form; a ``.sid`` gallery decides the embedder."""
    fps = float(params.get("fps") or 5.0)
    if fps <= 0:
        raise SpeakeridError(f"fps must be positive, got {fps}")
    path = Path(gallery_path).expanduser()
    embedder = Gallery.load(path).embedder if path.is_file() else "facenet"
    return AnnotateSettings(
        fps=fps,
        embedder=embedder,
        speaker_mode=params.get("speaker_mode") or "dominant",
        threshold=params.get("threshold"),
    )


class AnnotateVideos(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="annotate_videos",
            label="speakerid: annotate videos",
            description="Detect, identify and time the speakers of the targeted videos",
            icon="record_voice_over",
            dynamic=True,
            execute_as_generator=True,
            allow_immediate_execution=True,
            allow_delegated_execution=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_ACTIONS, "Annotate speakers")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        annotation_inputs(ctx, inputs)
        if ctx.dataset is not None and ctx.dataset.media_type != "video":
            prop = inputs.view("not_video", types.Error(label="speakerid needs a video dataset"))
            invalid(prop, "speakerid needs a video dataset")
        else:
            inputs.view("count", types.Notice(label=f"{len(ctx.target_view())} video(s) targeted"))
        return types.Property(inputs, view=types.View(label="Annotate videos with speakerid"))

    def resolve_run_name(self, ctx) -> str:
        return f"speakerid: annotate {ctx.dataset_name}"

    def execute(self, ctx) -> Iterator[Any]:
        yield from annotate_view(ctx, ctx.target_view())


def annotation_inputs(ctx: Any, inputs: Any) -> None:
    """The form of a run: gallery, analysed fps, speaker mode, threshold, skip done videos."""
    gallery_input(
        ctx,
        inputs,
        label="Gallery",
        folder_ok=True,
        description="a .sid gallery file (speakerid enroll) or a folder <person>/<images>",
    )
    inputs.float("fps", label="Frames analysed per second", default=5.0, min=0.1, max=60.0)
    mode = types.RadioGroup()
    mode.add_choice("dominant", label="dominant face")
    mode.add_choice("active", label="active speaker (lips + audio)")
    inputs.enum("speaker_mode", mode.values(), default="dominant", label="Frame speaker", view=mode)
    inputs.float(
        "threshold",
        label="Unknown threshold (optional)",
        min=-1.0,
        max=1.0,
        description="override the gallery's calibrated similarity threshold",
    )
    inputs.bool("skip_done", default=True, label="Skip videos already labelled with these settings")


def annotate_view(ctx: Any, view: Any) -> Iterator[Any]:
    """Label the videos of ``view`` in one ``speakerid.batch.label_dataset`` job, reporting
    progress within each video; the analysis runs in a thread so this generator can report."""
    require_videos(view)
    path = ctx.params["gallery"]
    settings = settings_from_params(ctx.params, path)
    gallery = job_gallery(path, settings)
    if None in view.values("metadata.duration"):
        view.compute_metadata()  # samples added without it: the progress bar needs each video's length
    ids, paths, durations, rates = view.values(["id", "filepath", "metadata.duration", "metadata.frame_rate"])
    progress = VideoProgress([(p, expected_frames(d, r, settings.fps)) for p, d, r in zip(paths, durations, rates)])
    events: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {"labelled": 0, "skipped": 0, "failed": []}

    index_of = {p: i for i, p in reversed(list(enumerate(paths)))}  # a file twice: its first sample
    current: list[str] = []

    def frames(path: str, n: int) -> None:
        if current != [path]:
            current[:] = [path]
            events.put(("start", index_of.get(path, 0)))
        events.put(("frames", n))

    def work() -> None:
        try:  # one job for the whole view: set-up, pending repairs and the spool flush run once
            summary = label_dataset(
                view.select(ids), gallery, settings, overwrite=not ctx.params.get("skip_done", True), on_frames=frames
            )
            outcome["labelled"] += summary.labelled
            outcome["skipped"] += summary.skipped
            outcome["failed"] += [f"{Path(p).name}: {why}" for p, why in summary.failed]
            events.put(("start", len(ids)))
        except BaseException as exc:  # noqa: BLE001 - raised again in the operator's thread
            outcome["error"] = exc
        finally:
            events.put(("end", None))

    thread = threading.Thread(target=work, name="speakerid-annotate", daemon=True)
    thread.start()
    yield from _progress(ctx, 0.0, progress.label)
    shown, shown_fraction = time.monotonic(), 0.0
    while True:
        kind, value = events.get()
        if kind == "end":
            break
        if kind == "start":
            progress.start(value)
        else:
            progress.add(value)
        step = PROGRESS_STEP / max(len(ids), 1)
        if (
            kind == "start"
            or progress.fraction - shown_fraction >= step
            or time.monotonic() - shown >= PROGRESS_EVERY_S
        ):
            yield from _progress(ctx, progress.fraction, progress.label)
            shown, shown_fraction = time.monotonic(), progress.fraction
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    labelled, skipped, failed = outcome["labelled"], outcome["skipped"], outcome["failed"]
    if labelled or skipped:  # the panel and the forms open this gallery from now on
        remember_gallery(ctx.dataset, gallery, path)
        configure_app(ctx.dataset)
    text = f"{labelled} labelled, {skipped} already up to date, {len(failed)} failed"
    yield from _progress(ctx, 1.0, text)
    if failed and not labelled:
        raise SpeakeridError(f"no video could be annotated: {failed[0]}")
    if not ctx.delegated:
        yield ctx.ops.reload_dataset()
        yield ctx.ops.notify(
            f"speakerid: {text}" + (f" ({failed[0]})" if failed else ""), variant="warning" if failed else "success"
        )


def _progress(ctx: Any, fraction: float, label: str) -> Iterator[Any]:
    """Progress where someone sees it: the run record when delegated, the App's bar otherwise."""
    if ctx.delegated:
        ctx.set_progress(progress=fraction, label=label)
    elif ctx.executor is not None:
        yield ctx.ops.set_progress(label=label, progress=fraction)
