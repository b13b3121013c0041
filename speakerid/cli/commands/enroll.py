"""``speakerid enroll``: build or extend a gallery file from a folder ``<person>/<images>``."""

from __future__ import annotations

import argparse
from pathlib import Path

from speakerid.cli.progress import console, progress_bar
from speakerid.defaults import CLASSIFIERS, DEFAULT_DETECTOR, DEFAULT_EMBEDDER
from speakerid.errors import SpeakeridError
from speakerid.settings import DETECTORS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enroll",
        help="enroll speakers from a folder <person>/<images> into a gallery file",
        description="Enroll speakers. Existing people in --add-to keep their embeddings; "
        "people in FOLDER are (re)enrolled.",
    )
    p.add_argument("folder", help="folder with one sub-folder of face photos per person")
    p.add_argument("--out", required=True, help="gallery file to write (.sid)")
    p.add_argument("--add-to", default=None, help="existing gallery to extend (may be the same as --out)")
    p.add_argument("--embedder", default=DEFAULT_EMBEDDER, help=f"face embedder (default {DEFAULT_EMBEDDER})")
    p.add_argument(
        "--detector",
        choices=DETECTORS,
        default=DEFAULT_DETECTOR,
        help=f"face detector (default {DEFAULT_DETECTOR}: the one annotate uses, so a .sid file and a --gallery "
        "folder enrol the same faces)",
    )
    p.add_argument(
        "--classifier", choices=CLASSIFIERS, default=CLASSIFIERS[0], help="default matcher stored in the gallery"
    )
    p.add_argument("--threshold", type=float, default=None, help="fix the unknown threshold instead of calibrating")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.faces.detect import load_detector
    from speakerid.faces.embedders import get_embedder
    from speakerid.identity.enroll import enroll_folder
    from speakerid.identity.gallery import Gallery
    from speakerid.io.images import person_folders

    if args.threshold is not None and not -1.0 <= args.threshold <= 1.0:  # also refuses NaN
        raise SpeakeridError(f"--threshold: must be in [-1, 1], got {args.threshold}")
    base = Gallery.load(args.add_to) if args.add_to else None  # validated before any model loads
    if base is not None:
        base.check_embedder(args.embedder)
    detector, embedder = load_detector(args.detector), get_embedder(args.embedder)
    people = person_folders(Path(args.folder))
    with progress_bar(args.quiet, unit="people") as prog:
        task = prog.add_task("enrolling", total=len(people), rate="")
        gallery, report = enroll_folder(args.folder, detector, embedder, base, on_person=lambda _: prog.advance(task))
    gallery.classifier = args.classifier
    if args.threshold is not None:
        gallery.threshold_override = args.threshold
    gallery.save(args.out)
    if not args.quiet:
        _print_report(gallery, report, args.out)
    return 0


def _print_report(gallery, report, out: str) -> None:
    from rich.table import Table

    table = Table(title=f"gallery {out} ({gallery.embedder} {gallery.embedder_version})")
    table.add_column("person")
    table.add_column("images used", justify="right")
    table.add_column("rejected", justify="right")
    rejected: dict[str, int] = {}
    for image, _ in report.rejected:
        rejected[Path(image).parent.name] = rejected.get(Path(image).parent.name, 0) + 1
    for name, count in gallery.counts().items():
        style = "red" if count == 0 else ""
        table.add_row(name, str(count), str(rejected.get(name, 0)), style=style)
    console.print(table)
    for image, why in report.rejected:
        console.print(f"[yellow]skipped[/] {image}: {why}", markup=True, highlight=False)
    console.print(gallery.describe_rule(), highlight=False)
