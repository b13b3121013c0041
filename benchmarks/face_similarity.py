"""Face similarity in the App: precision@10 by person on the public clips' faces.

The clips are annotated into a throwaway FiftyOne dataset (``speakerid annotate``), the face
index is built as **Index faces** builds it, and every face with a ground-truth person is a
query, ranked among the other such faces by the index's own vectors and metric (cosine), as
**Find similar faces** ranks them (checked on a few queries through that very view).

Ground truth per face, from the hand annotations (``segments.csv``, decode indices): frame ranges
that show exactly one person with no other face, or two people side by side (split screen,
two-shot: the left face is the first one named). Those faces are the queries and the candidates
(a face without ground truth, e.g. a false detection inside a track, is neither).

Figures (precision@10 = same-person share of the 10 nearest; when a person has fewer than 10
other faces, of those it has):
- every face: all other faces are candidates (the query's own track included: its faces share
  the track's embedding, so this is mostly the track's own faces);
- other tracks: the query's own track left out (does the index find the person's *other* tracks);
- one face per track (the operator's default): each track's best face, among the others' best.

Usage: python benchmarks/face_similarity.py [--data ../shared/data] [--clips sample|all] [--fps 5] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
K = 10


@dataclass
class Truth:
    video: str  # folder/name under --data
    first: int  # decode indices
    last: int
    people: tuple[str, ...]  # one person, or (left, right)


TRUTH = [
    Truth("videos/short_hamilton_clip.mp4", 0, 19, ("alex_lacamoire", "lin_manuel_miranda")),
    Truth("videos/short_hamilton_clip.mp4", 82, 210, ("lin_manuel_miranda",)),
    Truth("videos_dev/out13.mp4", 0, 120, ("lisa_kudrow",)),
    Truth("videos_dev/noisy_restaurant.mp4", 0, 223, ("restaurant_stranger",)),
    Truth("videos_dev/d20.mp4", 0, 174, ("d20_stranger",)),
    Truth("videos_dev/s32.mp4", 0, 179, ("s32_stranger",)),
    Truth("videos_dev/interview.mp4", 0, 437, ("presenter", "interviewee")),
    Truth("videos_dev/out26.mp4", 120, 365, ("david_schwimmer", "courteney_cox")),
    Truth("videos_dev/out28.mp4", 0, 106, ("matthew_perry", "matt_leblanc")),
]
SAMPLE_CLIPS = {"videos/short_hamilton_clip.mp4", "videos/street_crowd_unknown.mp4"}


def annotate(dataset: str, videos: list[Path], fps: float) -> float:
    from speakerid.cli.main import main as cli

    t0 = time.perf_counter()
    code = cli(
        ["annotate", *map(str, videos), "--gallery", str(ROOT / "sample_videos" / "gallery")]
        + ["--dataset", dataset, "--fps", str(fps), "--quiet"]
    )
    if code:
        sys.exit(f"annotate failed ({code})")
    return time.perf_counter() - t0


def ground_truth(ds, data: Path, truths: list[Truth]) -> dict[str, tuple[str, str]]:
    """face label id -> (person, track key) for every face a truth row names."""
    out = {}
    for sample in ds.select_fields(["frames.faces", "speakerid"]):
        offset = int((sample["speakerid"] or {}).get("frame_offset", 0))
        for t in truths:
            if Path(sample.filepath).resolve() != (data / t.video).resolve():
                continue
            for n, frame in sample.frames.items():
                if frame["faces"] is None or not t.first <= n - 1 - offset <= t.last:
                    continue
                dets = frame["faces"].detections
                if len(dets) > len(t.people):
                    continue  # a face nobody named (or a false detection): leave the frame out
                for d in dets:
                    x, _, w, _ = d.bounding_box
                    person = t.people[0] if len(t.people) == 1 or x + w / 2 < 0.5 else t.people[1]
                    out[d.id] = (person, f"{sample.id}:{d.index}")
    return out


def track_keys(ds, label_ids) -> list[str]:
    """``<video id>:<track id>`` of each face label id."""
    key = {}
    for sample_id, fids, fts in zip(*ds.values(["id", "frames.faces.detections.id", "frames.faces.detections.index"])):
        for frame_ids, frame_tracks in zip(fids or [], fts or []):
            key.update({fid: f"{sample_id}:{t}" for fid, t in zip(frame_ids or [], frame_tracks or [])})
    return [key[i] for i in label_ids]


def precision_at_k(vectors: np.ndarray, people: np.ndarray, tracks: np.ndarray, exclude_track: bool) -> np.ndarray:
    """Per face: precision@K of its nearest other faces (NaN for faces without ground truth,
    or whose person has no other candidate face)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    dist = 1.0 - unit @ unit.T
    out = np.full(len(vectors), np.nan)
    for i in np.flatnonzero(people != ""):
        keep = np.arange(len(vectors)) != i
        if exclude_track:
            keep &= tracks != tracks[i]
        relevant = int((keep & (people == people[i])).sum())
        if not relevant:
            continue
        cand = np.flatnonzero(keep)
        top = cand[np.argsort(dist[i, cand], kind="stable")[:K]]
        out[i] = (people[top] == people[i]).sum() / min(K, relevant)
    return out


def report(title: str, people: np.ndarray, p: np.ndarray) -> None:
    print(f"  {title}:")
    for person in sorted(set(people) - {""}):
        mine = p[(people == person) & ~np.isnan(p)]
        if len(mine):
            print(f"    {person:22s} {len(mine):4d} queries  precision@{K} {mine.mean():.3f}")
    ok = p[~np.isnan(p)]
    if len(ok):
        print(f"    {'all (mean over queries)':22s} {len(ok):4d} queries  precision@{K} {ok.mean():.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--clips", choices=("sample", "all"), default="all")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--verbose", action="store_true", help="the ground truth of each track")
    args = ap.parse_args()

    import fiftyone as fo

    from speakerid.review.face_index import FACE_INDEX, build_face_index
    from speakerid.review.face_similarity import DISTANCE, best_face_ids, similar_faces

    truths = [t for t in TRUTH if args.clips == "all" or t.video in SAMPLE_CLIPS]
    videos = list(dict.fromkeys(args.data / t.video for t in truths))
    if args.clips == "sample":
        videos.append(args.data / "videos" / "street_crowd_unknown.mp4")  # distractors
    name = f"bench-face-similarity-{uuid.uuid4().hex[:8]}"
    try:
        seconds = annotate(name, videos, args.fps)
        ds = fo.load_dataset(name)
        t0 = time.perf_counter()
        built = build_face_index(ds, map_key=None)
        index_s = time.perf_counter() - t0
        print(
            f"{len(videos)} clips annotated in {seconds:.0f} s, {built.faces} faces indexed in {index_s:.1f} s "
            f"(2 shared cores under load), {args.fps:g} analysed fps"
        )
        truth = ground_truth(ds, args.data, truths)
        results = ds.load_brain_results(FACE_INDEX)
        vectors, _, label_ids = results.get_embeddings()
        label_ids = np.asarray(label_ids)
        people = np.array([truth.get(i, ("", ""))[0] for i in label_ids])
        tracks = np.array(track_keys(ds, label_ids))
        labelled = people != ""
        print(
            f"{labelled.sum()} of {len(label_ids)} faces with a ground-truth person "
            f"({len(set(tracks[labelled]))} tracks, {len(set(people[labelled]))} people)"
        )
        if args.verbose:
            for track in sorted(set(tracks[labelled])):
                mine = people[tracks == track]
                print(
                    f"    track {track}: {len(mine)} faces, "
                    + ", ".join(f"{p} {n}" for p, n in zip(*np.unique(mine, return_counts=True)))
                )
        vectors, label_ids, people, tracks = vectors[labelled], label_ids[labelled], people[labelled], tracks[labelled]
        report("every face", people, precision_at_k(vectors, people, tracks, exclude_track=False))
        report("other tracks only", people, precision_at_k(vectors, people, tracks, exclude_track=True))
        best = np.isin(label_ids, best_face_ids(ds))
        report(
            "one face per track (the operator's default)",
            people[best],
            precision_at_k(vectors[best], people[best], tracks[best], exclude_track=False),
        )
        # the App's path ranks the same way: the nearest faces of a few queries through the view
        for q in list(truth)[:: max(len(truth) // 5, 1)][:5]:
            view = similar_faces(ds, q, k=K + 1, per_track=False, among=list(truth))
            got = view.values(DISTANCE)
            assert got == sorted(got) and got[0] < 1e-6, "the view's order differs from the index's"
        t0 = time.perf_counter()
        similar_faces(ds, next(iter(truth)))
        print(f"Find similar faces (view built, one face per track): {time.perf_counter() - t0:.2f} s")
    finally:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
