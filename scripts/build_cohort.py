"""Rebuild the shipped score-normalisation cohorts: ``python scripts/build_cohort.py``.

Embeds the main face of up to 4 photos per person of LFW (``../shared/data/lfw/images``), as
photographed and shrunk to a 32 px face, with each embedder, using the pipeline's default
detector, and writes
``speakerid/data/cohort-<embedder>.safetensors``. Run it again whenever an embedder's version
(weights or crop) or the default detector changes: a cohort whose embedder version does not
match is refused at run time. Takes a few minutes per embedder on a laptop CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (
    "Labeled Faces in the Wild (LFW), University of Massachusetts Amherst, http://vis-www.cs.umass.edu/lfw/: "
    "main face of up to {per} images per person of the 150x150 copy in shared/data/lfw/images, "
    "as photographed and shrunk to a {px} px wide face"
)
LICENCE = (
    "LFW: for research use only (the images are news photos whose copyright stays with their "
    "owners); these embeddings are derived data, shipped for research and evaluation use"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--images",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "lfw" / "images",
        help="folder of <person>/<images> (default: LFW in ../shared/data)",
    )
    ap.add_argument("--embedder", action="append", help="embedder(s) to build for (default: facenet and sface)")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: speakerid/data)")
    args = ap.parse_args()

    from speakerid.identity.cohort import cohort_path
    from speakerid.identity.cohort_build import LOW_RES_FACE, MAX_PER_PERSON, build_cohort
    from speakerid.pipeline import AnnotateSettings, load_models
    from speakerid.weights import file_sha256

    for name in args.embedder or ["facenet", "sface"]:
        t0 = time.perf_counter()
        models = load_models(AnnotateSettings(embedder=name))
        source = SOURCE.format(per=MAX_PER_PERSON, px=LOW_RES_FACE)
        cohort = build_cohort(args.images, models.detector, models.embedder, source, LICENCE)
        path = cohort_path(name) if args.out is None else args.out / cohort_path(name).name
        cohort.save(path)
        print(
            f"{path}: {len(cohort)} faces of {len(set(cohort.person.tolist()))} people, "
            f"{cohort.embedder} {cohort.embedder_version}, {path.stat().st_size / 1e6:.1f} MB, "
            f"{time.perf_counter() - t0:.0f} s"
        )
        print(f"  sha256 {file_sha256(path)}: put it in cohort-{name}'s entry of speakerid/weights.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
