"""Face sources shared by ``train-faces``, ``evaluate``, ``explain`` and ``robustness``: their
arguments, the face models they ask for, and loading the faces behind a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from speakerid.defaults import DEFAULT_EMBEDDER
from speakerid.errors import SpeakeridError
from speakerid.train.specs import TRAIN_MIN_FACE

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.mtcnn import MTCNNDetector
    from speakerid.train.data import FaceSet


def add_source_args(parser: argparse.ArgumentParser) -> None:
    """DATA folders or a FiftyOne dataset, the person filters and the face models."""
    parser.add_argument("data", nargs="*", type=Path, help="folder trees <person>/<images> (several allowed)")
    parser.add_argument(
        "--fo-dataset", metavar="NAME", help="read identity-labelled faces from this FiftyOne dataset instead"
    )
    parser.add_argument(
        "--field", default="faces", help="label field of --fo-dataset (Detections or Classification; default faces)"
    )
    parser.add_argument(
        "--min-images", type=int, default=1, help="per folder tree: skip people with fewer photos (default 1)"
    )
    parser.add_argument("--max-people", type=int, help="per folder tree: keep the people with the most photos")
    parser.add_argument("--max-images", type=int, help="use at most this many photos per person")
    parser.add_argument(
        "--embedder",
        default=DEFAULT_EMBEDDER,
        help=f"face embedder whose crops/embeddings are used (default {DEFAULT_EMBEDDER})",
    )
    parser.add_argument(
        "--min-face-size",
        type=int,
        default=TRAIN_MIN_FACE,
        help=f"detector's smallest face in px (default {TRAIN_MIN_FACE})",
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1: fastest on a busy machine)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def face_models(args: argparse.Namespace) -> tuple[MTCNNDetector, Embedder]:
    """The detector and embedder the arguments ask for, on ``--threads`` threads (quiet silences
    FiftyOne's bars too)."""
    from speakerid import threads
    from speakerid.faces.embedders import get_embedder
    from speakerid.faces.mtcnn import MTCNNDetector

    models = MTCNNDetector(min_face_size=args.min_face_size), get_embedder(args.embedder)
    threads.configure(max(1, args.threads))  # after the imports: torch is loaded now
    if args.quiet:
        import fiftyone as fo

        fo.config.show_progress_bars = False
    return models


def load_faces(args: argparse.Namespace, detector: MTCNNDetector, embedder: Embedder) -> FaceSet:
    """Faces from the DATA folders or ``--fo-dataset``, with a progress bar over photos."""
    from speakerid.cli.progress import progress_bar
    from speakerid.train.data import load_face_folders, select_people

    if bool(args.data) == bool(args.fo_dataset):
        raise SpeakeridError("give either DATA folders or --fo-dataset NAME")
    with progress_bar(args.quiet, unit="images") as prog:
        if args.fo_dataset:
            from speakerid.train.fo_source import load_face_dataset

            task = prog.add_task("faces", total=None, rate="")
            return load_face_dataset(args.fo_dataset, args.field, detector, embedder, lambda n: prog.advance(task, n))
        people = select_people(args.data, args.min_images, args.max_people, args.max_images)
        task = prog.add_task("faces", total=sum(len(v) for v in people.values()), rate="")
        return load_face_folders(
            args.data,
            detector,
            embedder,
            args.min_images,
            args.max_people,
            args.max_images,
            lambda n: prog.advance(task, n),
        )


def report_faces(faces: FaceSet) -> str:
    """One line: how many faces, people and detector fallbacks."""
    missed = int((~faces.detected).sum())
    return f"{len(faces)} faces of {len(faces.classes)} people ({missed} not detected: centre crop used)"
