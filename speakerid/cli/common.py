"""Arguments and helpers shared by the commands that run the annotation pipeline."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from speakerid.defaults import BACKENDS, CLASSIFIERS, DEFAULT_DETECTOR, DEFAULT_EMBEDDER, DEFAULT_FPS
from speakerid.errors import SettingsError, SpeakeridError
from speakerid.faces.registry import EMBEDDERS
from speakerid.settings import DETECTORS, SPEAKER_MODES, AnnotateSettings


def add_pipeline_args(p: argparse.ArgumentParser) -> None:
    """Options of AnnotateSettings, the same for `annotate` and `label`."""
    g = p.add_argument_group("analysis")
    g.add_argument(
        "--gallery", required=True, help="gallery file (.sid) or folder <person>/<images> (enrolled on the fly)"
    )
    g.add_argument(
        "--fps", type=float, default=DEFAULT_FPS, help=f"frames analysed per second (default {DEFAULT_FPS:g})"
    )
    g.add_argument("--every", type=int, default=None, help="analyse every Nth frame instead of --fps")
    g.add_argument("--start", type=float, default=None, help="start time in seconds")
    g.add_argument("--end", type=float, default=None, help="end time in seconds")
    g.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help=f"video decoder (default {BACKENDS[0]})")
    g.add_argument(
        "--detector",
        choices=DETECTORS,
        default=DEFAULT_DETECTOR,
        help=f"face detector: {' or '.join(DETECTORS)} (default {DEFAULT_DETECTOR}, the fast one)",
    )
    g.add_argument(
        "--embedder",
        default=DEFAULT_EMBEDDER,
        help=f"face embedder: {', '.join(EMBEDDERS)} (default {DEFAULT_EMBEDDER}; licences: speakerid models)",
    )
    g.add_argument("--min-face-size", type=int, default=20, help="smallest face detected, in pixels (default 20)")
    g.add_argument("--classifier", choices=CLASSIFIERS, default=None, help="gallery matcher (default: the gallery's)")
    g.add_argument(
        "--face-model",
        default=None,
        help="classifier trained by `speakerid train-faces` to use instead of the gallery's matcher",
    )
    g.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="override the gallery's calibrated unknown threshold (cosine similarity, -1..1)",
    )
    g.add_argument(
        "--speaker-mode",
        choices=SPEAKER_MODES,
        default=SPEAKER_MODES[0],
        help="frame speaker: dominant face, or the face judged talking (active speaker detection)",
    )
    g.add_argument(
        "--keyframe-every",
        type=int,
        default=3,
        help="detect faces on every Nth analysed frame (and at shot cuts), track in between (default 3)",
    )
    g.add_argument(
        "--faces-per-track",
        type=int,
        default=3,
        help="embed each face track on at most this many of its best faces (default 3)",
    )
    g.add_argument(
        "--batch-size",
        type=int,
        default=AnnotateSettings.batch_size,
        help=f"frames decoded ahead per batch (default {AnnotateSettings.batch_size})",
    )
    g.add_argument("--threads", type=int, default=None, help="CPU threads (default: every core this process may use)")


def settings_from_args(args: argparse.Namespace) -> AnnotateSettings:
    """AnnotateSettings from parsed arguments; an impossible value is a one-line usage error
    naming the option as typed (AnnotateSettings does the checking, for every caller)."""
    try:
        return AnnotateSettings(
            fps=None if args.every else args.fps,
            every=args.every,
            start=args.start,
            end=args.end,
            backend=args.backend,
            detector=args.detector,
            embedder=args.embedder,
            min_face_size=args.min_face_size,
            classifier=args.classifier,
            threshold=args.threshold,
            speaker_mode=args.speaker_mode,
            keyframe_every=args.keyframe_every,
            faces_per_track=args.faces_per_track,
            batch_size=args.batch_size,
            threads=args.threads,
            face_model=args.face_model,
        )
    except SettingsError as exc:
        raise SpeakeridError(f"--{exc.option.replace('_', '-')}: {exc.problem}") from None


def check_writable(path: str | Path) -> None:
    """Fail now, not after the analysis, if ``path`` cannot be written (folder, permissions)."""
    path = Path(path)
    if path.is_dir():
        raise SpeakeridError(f"{path}: is a folder, not a file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SpeakeridError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def warn(message: str) -> None:
    """One warning line on stderr (the work goes on)."""
    print(f"speakerid: warning: {message}", file=sys.stderr)
