"""Open-set accuracy on both public video sets: recall, strangers named, faces missed, clusters; LFW AUC.

Both sets (``../shared/data/videos`` and ``videos_dev``) are annotated with one gallery,
``gallery/`` + ``gallery_dev/`` (23 people, 1-5 photos each; nobody of one set is enrolled in
the other's gallery, so each set's gallery is the other's decoys). Per clip and per set it
prints what ``accuracy_score`` counts: single-person frame recall, face-level presence recall,
stranger faces named, wrong names, frames with no face; then the public hard cases (Lin-Manuel
at ~40 px, Obama in the audience), cluster purity and fragmentation of the unknown tracks (and
of every track whose person is known, as if nobody were enrolled), and LFW AUC.

Clips held out of tuning (figures printed separately): ``HELD_OUT``.

LFW: the main face of each DevTest image is embedded (``speakerid.faces.photos.embed_images``,
the ``speakerid verify`` machinery, with the pipeline's detector) and the 999 pairs scored by
cosine similarity: ROC AUC. With a shipped cohort, also the AUC of S-norm scores, each pair
normalised against the cohort without its two people (the cohort is LFW, mostly DevTest people:
an in-domain figure, see speakerid/data/SOURCES.md).

Usage: python benchmarks/accuracy.py [--data ../shared/data] [--embedder facenet] [--fps 5]
       [--no-lfw] [--clips a.mp4,b.mp4] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from accuracy_score import Tally, cluster_report, read_segments, score_video, truth_tracks

ROOT = Path(__file__).resolve().parents[1]
SETS = ("videos", "videos_dev")
GALLERIES = ("gallery", "gallery_dev")
HELD_OUT = {"out34.mp4", "s32.mp4"}  # never looked at while tuning
# (clip, first frame of the segment, person, what): the public hard cases, 14 frames at 5 fps
HARD_CASES = [
    ("short_hamilton_clip.mp4", 211, "obama", "Obama, audience shot"),
    ("short_hamilton_clip.mp4", 0, "lin_manuel_miranda", "Lin-Manuel, small ~40 px"),
]


def combined_gallery_dir(data: Path, into: Path) -> Path:
    """A folder of links to every person folder of the benchmark's galleries."""
    for name in GALLERIES:
        for person in sorted((data / name).iterdir()):
            if person.is_dir():
                (into / person.name).symlink_to(person.resolve(), target_is_directory=True)
    return into


def snorm_scores(trials, vectors: dict[str, np.ndarray], cohort) -> np.ndarray:
    """S-norm score per pair against ``cohort``, with both people of the pair left out of it
    (the shipped cohort is made of LFW people, DevTest ones included)."""
    from speakerid.identity.snorm import DEFAULT_TOP_K, top_k_stats

    paths = sorted(vectors)
    row = {p: i for i, p in enumerate(paths)}
    against = np.stack([vectors[p] for p in paths]) @ cohort.embeddings.T
    member = np.array(cohort.names)[cohort.person]
    out = np.full(len(trials), np.nan)
    for i, t in enumerate(trials):
        if t.a in row and t.b in row:
            keep = (member != t.a.split("/")[0]) & (member != t.b.split("/")[0])
            mu, sd = top_k_stats(against[[row[t.a], row[t.b]]][:, keep], DEFAULT_TOP_K)
            s = float(vectors[t.a] @ vectors[t.b])
            out[i] = 0.5 * ((s - mu[0]) / sd[0] + (s - mu[1]) / sd[1])
    return out


def lfw_auc(lfw: Path, models) -> None:
    from speakerid.faces.photos import embed_images
    from speakerid.faces.roc import verification_metrics
    from speakerid.faces.trials import lfw_trials, score_trials
    from speakerid.identity.cohort import shipped_cohort

    trials = lfw_trials(lfw / "pairsDevTest.txt", lfw / "images")
    t0 = time.perf_counter()
    images = embed_images([p for t in trials for p in (t.a, t.b)], lfw / "images", models.detector, models.embedder)
    labels = np.array([t.label for t in trials])
    m = verification_metrics(score_trials(trials, images.vectors), labels)
    print(
        f"  LFW DevTest ({len(trials)} pairs, {len(images.vectors)} images, {len(images.centre_crops)} centre crops, "
        f"{time.perf_counter() - t0:.0f} s): raw cosine AUC {m.auc:.4f}, best accuracy {m.best_accuracy:.4f} "
        f"at {m.best_threshold:.3f}   (target AUC >= 0.998)  {'OK' if m.auc >= 0.998 - 5e-5 else 'MISS'}"
    )
    cohort = shipped_cohort(models.embedder.name, models.embedder.version)
    if cohort is not None:
        n = verification_metrics(snorm_scores(trials, images.vectors, cohort), labels)
        print(
            f"  LFW DevTest S-norm (cohort without the pair's two people): AUC {n.auc:.4f}, "
            f"best accuracy {n.best_accuracy:.4f}"
        )


def hard_cases(video: str, result, rows) -> list[int]:
    """[hits, frames] of the public hard cases on this clip."""
    out = [0, 0]
    frames = list(result.frames)
    for clip, first, person, _ in HARD_CASES:
        row = next((r for r in rows if (r.video, r.first) == (clip, first)), None)
        if clip == video and row is not None:
            seg = [fr for fr in frames if row.first <= fr.index <= row.last]
            out[0] += sum(any(f.identity == person for f in fr.faces) for fr in seg)
            out[1] += len(seg)
    return out


def clusters(tracks, gallery) -> None:
    """Cluster the unknown tracks as the App does, then every track whose person is known."""
    from speakerid.review.clusters import cluster_embeddings, cluster_similarity, cross_video_similarity

    similarity = cluster_similarity(gallery)
    print(f"clusters at cosine similarity {similarity:.3f} ({cross_video_similarity(similarity):.3f} across videos)")
    for what, chosen in (
        ("unknown tracks (the App's clusters)", [t for t in tracks if not t.named]),
        ("every track of a known person, as if nobody were enrolled", [t for t in tracks if t.person]),
    ):
        if len(chosen) < 2:
            continue
        video = np.array([t.video for t in chosen])
        first, last = np.array([t.first for t in chosen]), np.array([t.last for t in chosen])
        apart = (video[:, None] == video[None]) & (
            np.maximum(first[:, None], first[None]) <= np.minimum(last[:, None], last[None])
        )
        np.fill_diagonal(apart, False)
        groups = cluster_embeddings(np.stack([t.embedding for t in chosen]), similarity, apart, video)
        cluster_report(chosen, groups, what)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--embedder", default="facenet")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--no-lfw", action="store_true", help="skip the LFW AUC (about a minute per embedder)")
    ap.add_argument("--clips", default="", help="comma-separated clip names: only these")
    ap.add_argument("--verbose", action="store_true", help="print every analysed frame's faces")
    args = ap.parse_args()

    from speakerid.identity.folder_cache import open_gallery
    from speakerid.pipeline import AnnotateSettings, annotate_video, load_models

    settings = AnnotateSettings(fps=args.fps, embedder=args.embedder)
    models = load_models(settings)
    with tempfile.TemporaryDirectory() as tmp:
        gallery = open_gallery(combined_gallery_dir(args.data, Path(tmp)), models.detector, models.embedder)
    print(f"embedder {models.embedder.name} {models.embedder.version}, {args.fps:g} analysed fps")
    print(f"gallery {' + '.join(GALLERIES)} ({len(gallery.names)} people): {gallery.describe_rule()}")
    only = set(filter(None, args.clips.split(",")))
    everything, held, hard, tracks = Tally(), Tally(), [0, 0], []
    for video_set in SETS:
        rows = read_segments(args.data / video_set / "segments.csv", set(gallery.names))
        per_set = Tally()
        for video in dict.fromkeys(r.video for r in rows):
            if only and video not in only:
                continue
            mine = [r for r in rows if r.video == video]
            t0 = time.perf_counter()
            result = annotate_video(args.data / video_set / video, gallery, settings, models)
            held_out = " (held out)" if video in HELD_OUT else ""
            print(f"  {video_set}/{video}{held_out}: {time.perf_counter() - t0:.1f} s")
            tally = score_video(result, mine, args.verbose)
            print(f"    {tally.line()}")
            per_set.add(tally)
            (held if video in HELD_OUT else everything).add(tally)
            h = hard_cases(video, result, mine)
            hard[0], hard[1] = hard[0] + h[0], hard[1] + h[1]
            tracks += truth_tracks(video, result, mine)
        print(f"{video_set}: {per_set.line()}")
        print("  per person: " + ", ".join(f"{p} {h}/{n}" for p, (h, n) in sorted(per_set.per_person.items())))
    print(f"tuning clips: {everything.line()}")
    print(f"held-out clips ({', '.join(sorted(HELD_OUT))}): {held.line()}")
    everything.add(held)
    print(f"all clips: {everything.line()}")
    if hard[1]:
        print(f"public hard cases (Lin-Manuel ~40 px, Obama audience shot): {hard[0]}/{hard[1]}")
    clusters(tracks, gallery)
    if not args.no_lfw:
        lfw_auc(args.data / "lfw", models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
