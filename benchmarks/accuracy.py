"""Open-set accuracy: per-person frame recall and stranger false accepts on the shared clips, LFW AUC.

How a frame counts: every analysed frame of a hand-annotated segment (``videos/segments.csv``,
decode indices) that shows an enrolled person is a *hit* for that person when at least one face
on the frame carries that person's name, whichever face it is. A face named as an enrolled
person who is not listed for that segment is a *false accept*; on the street crowd (nobody
enrolled) every named face is one. Recall = hits / analysed frames of the segment.

Each gallery line says the open-set rule and the false-accept rate its threshold implies on
public strangers (``Gallery.describe_rule``).

LFW: the main face of each DevTest image is embedded (``speakerid.faces.photos.embed_images``,
the ``speakerid verify`` machinery, with the pipeline's detector) and the 999 pairs scored by
cosine similarity: ROC AUC. With a shipped cohort, also the AUC of S-norm scores, each pair
normalised against the cohort without its two people (the cohort is LFW, mostly DevTest people:
an in-domain figure, see speakerid/data/SOURCES.md).

Usage: python benchmarks/accuracy.py [--data ../shared/data] [--embedder facenet] [--fps 5]
       [--no-lfw] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# segments.csv names -> gallery folder names; people not listed here are not enrolled anywhere
ALIASES = {"Barack Obama": "obama", "Lin-Manuel Miranda": "lin_manuel_miranda", "Alex Lacamoire": "alex_lacamoire"}
# (clip, first frame, person, what): the targets (>= 80 % with the 17-person gallery)
TARGETS = [
    ("short_hamilton_clip.mp4", 211, "obama", "Obama, audience shot"),
    ("short_hamilton_clip.mp4", 0, "lin_manuel_miranda", "Lin-Manuel, small ~40 px"),
]


@dataclass
class SegmentRow:
    video: str
    first: int
    last: int
    people: list[str]  # gallery names expected on these frames
    label: str


def read_segments(path: Path) -> list[SegmentRow]:
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            visible = [p.split("(")[0].strip() for p in r["named_people_visible"].split(";")]
            people = [ALIASES[p] for p in visible if p in ALIASES]
            rows.append(
                SegmentRow(
                    r["video"],
                    int(r["first_frame"]),
                    int(r["last_frame"]),
                    people,
                    (r["notes"] or r["named_people_visible"])[:40],
                )
            )
    return rows


def score_video(result, rows: list[SegmentRow], verbose: bool) -> dict[tuple[int, str], tuple[int, int]]:
    """Print per-segment recall and false accepts; return ``{(first, person): (hits, frames)}``."""
    frames = list(result.frames)
    out = {}
    for row in rows:
        seg = [fr for fr in frames if row.first <= fr.index <= row.last]
        named = [f.identity for fr in seg for f in fr.faces if f.identity != "unknown"]
        wrong = sum(1 for n in named if n not in row.people)
        n_faces = sum(len(fr.faces) for fr in seg)
        parts = []
        for person in row.people:
            hits = sum(any(f.identity == person for f in fr.faces) for fr in seg)
            out[(row.first, person)] = (hits, len(seg))
            parts.append(f"{person} {hits}/{len(seg)} = {hits / max(len(seg), 1):.0%}")
        print(
            f"    frames {row.first:3d}-{row.last:3d} ({row.label:40s}) {len(seg):2d} analysed, {n_faces:3d} faces; "
            f"{'; '.join(parts) or 'nobody enrolled'}; false accepts {wrong} faces"
        )
        if verbose:
            for fr in seg:
                desc = ", ".join(f"{f.identity}@{f.similarity:.2f}/c{f.confidence:.2f}/t{f.track}" for f in fr.faces)
                print(f"        {fr.index:4d} {desc}")
    return out


def add_totals(totals: dict[str, list[int]], per: dict[tuple[int, str], tuple[int, int]]) -> None:
    """Add one video's ``score_video`` tallies to the per-person totals."""
    for (_, person), (hits, n) in per.items():
        t = totals.setdefault(person, [0, 0])
        t[0], t[1] = t[0] + hits, t[1] + n


def strangers_named(result) -> tuple[int, int]:
    """(faces named as someone enrolled, faces) over a video where nobody is enrolled."""
    named = sum(f.identity != "unknown" for fr in result.frames for f in fr.faces)
    return named, sum(len(fr.faces) for fr in result.frames)


def recall_line(totals: dict[str, list[int]]) -> str:
    return "  per-person frame recall over both clips: " + ", ".join(
        f"{p} {h}/{n} = {h / max(n, 1):.0%}" for p, (h, n) in totals.items()
    )


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--embedder", default="facenet")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--no-lfw", action="store_true", help="skip the LFW AUC (about a minute per embedder)")
    ap.add_argument("--verbose", action="store_true", help="print every analysed frame's faces")
    args = ap.parse_args()

    from speakerid.identity.enroll import open_gallery
    from speakerid.pipeline import AnnotateSettings, annotate_video, load_models

    settings = AnnotateSettings(fps=args.fps, embedder=args.embedder)
    models = load_models(settings)
    rows = read_segments(args.data / "videos" / "segments.csv")
    videos = list(dict.fromkeys(r.video for r in rows))
    print(f"embedder {models.embedder.name} {models.embedder.version}, {args.fps:g} analysed fps")
    for gallery_dir in (ROOT / "sample_videos" / "gallery", args.data / "gallery"):
        gallery = open_gallery(gallery_dir, models.detector, models.embedder)
        print(f"gallery {gallery_dir} ({len(gallery.names)} people): {gallery.describe_rule()}")
        totals: dict[str, list[int]] = {}
        for video in videos:
            result = annotate_video(args.data / "videos" / video, gallery, settings, models)
            print(f"  {video}")
            per = score_video(result, [r for r in rows if r.video == video], args.verbose)
            add_totals(totals, per)
            for (first, person), (hits, n) in per.items():
                for clip, tfirst, tperson, what in TARGETS:
                    if (video, first, person) == (clip, tfirst, tperson) and len(gallery.names) == 17:
                        ok = hits >= 0.8 * n
                        print(
                            f"    target {what}: {hits}/{n} = {hits / max(n, 1):.0%} (>= 80 %) {'OK' if ok else 'MISS'}"
                        )
            if not any(r.people for r in rows if r.video == video):
                named, faces = strangers_named(result)
                print(f"    strangers named: {named} of {faces} faces   (target 0)  {'OK' if named == 0 else 'MISS'}")
        print(recall_line(totals))
    if not args.no_lfw:
        lfw_auc(args.data / "lfw", models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
