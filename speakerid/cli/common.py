"""Arguments and helpers shared by the commands that run the annotation pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

from speakerid.errors import SpeakeridError
from speakerid.settings import AnnotateSettings

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}


def add_pipeline_args(p: argparse.ArgumentParser) -> None:
    """Options of AnnotateSettings, the same for `annotate` and `label`."""
    g = p.add_argument_group("analysis")
    g.add_argument("--gallery", required=True, help="gallery file (.sid) or folder <person>/<images> (enrolled on the fly)")
    g.add_argument("--fps", type=float, default=5.0, help="frames analysed per second (default 5)")
    g.add_argument("--every", type=int, default=None, help="analyse every Nth frame instead of --fps")
    g.add_argument("--start", type=float, default=None, help="start time in seconds")
    g.add_argument("--end", type=float, default=None, help="end time in seconds")
    g.add_argument("--backend", choices=["pyav", "decord"], default="pyav", help="video decoder (default pyav)")
    g.add_argument("--embedder", default="facenet", help="face embedder: facenet (default), sface, facenet-vggface2")
    g.add_argument("--min-face-size", type=int, default=20, help="smallest face detected, in pixels (default 20)")
    g.add_argument("--classifier", choices=["centroid", "knn", "svm"], default=None, help="gallery matcher (default: the gallery's)")
    g.add_argument("--face-model", default=None,
                   help="classifier trained by `speakerid train-faces` to use instead of the gallery's matcher")
    g.add_argument("--threshold", type=float, default=None, help="override the gallery's calibrated unknown threshold")
    g.add_argument("--speaker-mode", choices=["dominant", "active"], default="dominant",
                   help="frame speaker: dominant face, or the face judged talking (active speaker detection)")
    g.add_argument("--batch-size", type=int, default=16, help="frames per detection batch")
    g.add_argument("--no-embeddings", action="store_true", help="do not store face embeddings on detections")


def settings_from_args(args: argparse.Namespace) -> AnnotateSettings:
    """AnnotateSettings from parsed arguments, validated."""
    if args.fps is not None and args.fps <= 0:
        raise SpeakeridError(f"--fps must be positive, got {args.fps}")
    if args.every is not None and args.every < 1:
        raise SpeakeridError(f"--every must be >= 1, got {args.every}")
    return AnnotateSettings(
        fps=None if args.every else args.fps, every=args.every, start=args.start, end=args.end,
        backend=args.backend, embedder=args.embedder, min_face_size=args.min_face_size,
        classifier=args.classifier, threshold=args.threshold, speaker_mode=args.speaker_mode,
        batch_size=args.batch_size, store_embeddings=not args.no_embeddings, face_model=args.face_model,
    )


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders expanded to the videos directly inside them (sorted)."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            vids = sorted(f for f in p.iterdir() if f.suffix.lower() in VIDEO_SUFFIXES and f.is_file())
            if not vids:
                raise SpeakeridError(f"{p}: folder holds no video files")
            out.extend(vids)
        else:
            out.append(p)
    return out
