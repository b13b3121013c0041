"""What boxes on every frame cost: database size and write time with and without the frames
between analysed ones (``faces_between``, speakerid.labels.interpolate).

Each video is analysed once (the pipeline, default settings: 5 analysed fps), then its labels
are written ``--repeats`` times into a fresh dataset both ways; printed per video: frame
documents, the frames collection's size in MongoDB (``collStats`` size, uncompressed BSON),
the fastest of ``--repeats`` times of ``label_docs`` (building the documents) and of
``write_label_docs`` (the all-or-nothing replace in MongoDB).

Usage: python benchmarks/label_interpolation.py [--videos V ...] [--gallery sample_videos/gallery]
       [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = [
    ROOT / "sample_videos" / "short_hamilton_clip.mp4",
    ROOT.parent / "shared" / "data" / "videos" / "street_crowd_unknown.mp4",
]


def measure(result, between: bool, repeats: int) -> tuple[int, int, float, float]:
    """(frame documents, their size in bytes, fastest label_docs s, fastest write_label_docs s)."""
    import fiftyone as fo

    from speakerid.labels.fiftyone_writer import label_docs, write_label_docs

    build, write = [], []
    ds = fo.Dataset(f"bench-interp-{uuid.uuid4().hex[:8]}")
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            docs = label_docs(result, between=between)
            t1 = time.perf_counter()
            write_label_docs(ds, docs)
            build.append(t1 - t0)
            write.append(time.perf_counter() - t1)
        coll = ds._frame_collection
        size = coll.database.command("collStats", coll.name)["size"]  # uncompressed BSON
        return coll.count_documents({}), int(size), min(build), min(write)
    finally:
        ds.delete()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", nargs="+", type=Path, default=VIDEOS)
    ap.add_argument("--gallery", default=str(ROOT / "sample_videos" / "gallery"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from speakerid.identity.folder_cache import open_gallery
    from speakerid.pipeline import annotate_video, load_models
    from speakerid.settings import AnnotateSettings

    settings = AnnotateSettings()
    models = load_models(settings)
    gallery = open_gallery(args.gallery, models.detector, models.embedder)
    print(f"{'video':28} {'boxes on':9} {'frame docs':>10} {'KiB':>7} {'build ms':>9} {'write ms':>9}")
    for video in args.videos:
        result = annotate_video(video, gallery, settings, models)
        for between in (False, True):
            n, size, build, write = measure(result, between, args.repeats)
            mode = "every" if between else "analysed"
            print(f"{video.name:28} {mode:9} {n:10d} {size / 1024:7.1f} {build * 1000:9.0f} {write * 1000:9.0f}")


if __name__ == "__main__":
    main()
