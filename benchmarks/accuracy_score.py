"""Scoring for ``accuracy.py`` (and ``peer_accuracy.py``): ground truth rows, per-clip tallies, clusters.

Ground truth is ``segments.csv`` (decode-index frame ranges and who is visible); a person counts
only if enrolled (their gallery folder name is in the gallery). Per analysed frame of a segment:

- *single-person frame recall*: on segments listing exactly one enrolled person, the frame is a
  hit when some face on it carries that person's name;
- *presence recall* (face level): every (frame, enrolled person visible) pair is a hit when some
  face on the frame carries that person's name;
- *strangers named*: on segments listing no enrolled person, the faces named as anyone;
- *wrong names*: on segments with enrolled people, faces named as an enrolled person not listed;
- *no face*: frames (every segment shows someone) on which no face is recorded at all.

Clusters: the tracks of every clip are grouped as ``cluster_unknowns`` groups unknown tracks;
each track gets a truth *group* (the clip, or ``friends`` for the Friends clips, whose cast
recurs) and, where known, a *person*: the name of a correctly named track, the clip's one
stranger on the one-stranger clips (its longest track, and the tracks never on screen with it:
the others are false detections or background faces), the panel's person on the split-screen
interview. A
cluster is impure when it holds two persons or two groups.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ALIASES = {"Barack Obama": "obama"}  # segments.csv name -> gallery folder, where they differ
ONE_STRANGER = {"noisy_restaurant.mp4", "d20.mp4", "s32.mp4"}


def folder_name(person: str) -> str:
    """``Lin-Manuel Miranda`` -> ``lin_manuel_miranda`` (the gallery's folder naming)."""
    return ALIASES.get(person, person.lower().replace("-", "_").replace(" ", "_").replace(".", ""))


@dataclass
class SegmentRow:
    video: str
    first: int
    last: int
    people: list[str]  # enrolled people visible on these frames (gallery names)
    label: str


def read_segments(path: Path, enrolled: set[str]) -> list[SegmentRow]:
    """The rows of a ``segments.csv``, people reduced to those in ``enrolled``."""
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            visible = [folder_name(p.split("(")[0].strip()) for p in r["named_people_visible"].split(";")]
            note = (r["notes"] or r["named_people_visible"]).replace("\n", " ")
            rows.append(
                SegmentRow(
                    r["video"], int(r["first_frame"]), int(r["last_frame"]), [p for p in visible if p in enrolled], note
                )
            )
    return rows


@dataclass
class Tally:
    """Counts of one clip (or a sum of clips); see the module docstring."""

    single: list[int] = field(default_factory=lambda: [0, 0])
    presence: list[int] = field(default_factory=lambda: [0, 0])
    strangers: list[int] = field(default_factory=lambda: [0, 0])  # named, faces
    wrong: int = 0
    no_face: list[int] = field(default_factory=lambda: [0, 0])  # frames without a face, frames
    per_person: dict[str, list[int]] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for name in ("single", "presence", "strangers", "no_face"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine[0], mine[1] = mine[0] + theirs[0], mine[1] + theirs[1]
        self.wrong += other.wrong
        for p, (h, n) in other.per_person.items():
            t = self.per_person.setdefault(p, [0, 0])
            t[0], t[1] = t[0] + h, t[1] + n

    def line(self) -> str:
        def ratio(pair: list[int]) -> str:
            return f"{pair[0]}/{pair[1]} = {pair[0] / pair[1]:.3f}" if pair[1] else "-"

        return (
            f"single-person frame recall {ratio(self.single)}; presence recall {ratio(self.presence)}; "
            f"strangers named {ratio(self.strangers)}; wrong names {self.wrong}; "
            f"frames with no face {self.no_face[0]}/{self.no_face[1]}"
        )


def score_video(result, rows: list[SegmentRow], verbose: bool = False) -> Tally:
    """Tally one clip's result (anything with ``frames`` of ``index`` and ``faces`` of ``identity``)."""
    frames = list(result.frames)
    tally = Tally()
    for row in rows:
        seg = [fr for fr in frames if row.first <= fr.index <= row.last]
        parts = []
        for person in row.people:
            hits = sum(any(f.identity == person for f in fr.faces) for fr in seg)
            for target in (tally.presence, tally.per_person.setdefault(person, [0, 0])):
                target[0], target[1] = target[0] + hits, target[1] + len(seg)
            if len(row.people) == 1:
                tally.single[0], tally.single[1] = tally.single[0] + hits, tally.single[1] + len(seg)
            parts.append(f"{person} {hits}/{len(seg)}")
        named = [f.identity for fr in seg for f in fr.faces if f.identity != "unknown"]
        n_faces = sum(len(fr.faces) for fr in seg)
        wrong = sum(n not in row.people for n in named)
        if row.people:
            tally.wrong += wrong
        else:
            tally.strangers[0], tally.strangers[1] = tally.strangers[0] + len(named), tally.strangers[1] + n_faces
        empty = sum(not fr.faces for fr in seg)
        tally.no_face[0], tally.no_face[1] = tally.no_face[0] + empty, tally.no_face[1] + len(seg)
        print(
            f"    frames {row.first:3d}-{row.last:3d} ({row.label[:36]:36s}) {len(seg):3d} analysed, "
            f"{n_faces:3d} faces, {empty} without; {', '.join(parts) or 'nobody enrolled'}; "
            f"{'strangers named' if not row.people else 'wrong names'} {wrong}"
        )
        if verbose:
            for fr in seg:
                desc = ", ".join(f"{f.identity}@{f.similarity:.2f}/t{f.track}" for f in fr.faces)
                print(f"        {fr.index:4d} {desc}")
    return tally


# --- clusters ------------------------------------------------------------------------------


@dataclass
class TruthTrack:
    """One track of one clip with what the ground truth says about it."""

    video: str
    first: int
    last: int
    embedding: np.ndarray
    named: bool  # the pipeline named it (correctly: wrongly named tracks are left out)
    group: str
    person: str | None


def truth_tracks(video: str, result, rows: list[SegmentRow]) -> list[TruthTrack]:
    """Tracks of one clip with an embedding, labelled as the module docstring says."""
    group = "friends" if video.startswith("out") else video
    longest = max(result.tracks, key=lambda t: t.num_faces, default=None)
    out = []
    for t in result.tracks:
        if t.embedding is None:
            continue
        listed = {p for r in rows if r.first <= t.last_frame and t.first_frame <= r.last for p in r.people}
        person = None
        if t.identity != "unknown":
            if t.identity not in listed:
                continue
            person = t.identity
        elif video in ONE_STRANGER:
            beside = t is not longest and t.first_frame <= longest.last_frame and longest.first_frame <= t.last_frame
            person = None if beside else f"{video}:stranger"
        elif video == "interview.mp4":
            person = f"{video}:{'left' if t.best_box[0] + t.best_box[2] / 2 < 0.5 else 'right'}"
        out.append(TruthTrack(video, t.first_frame, t.last_frame, t.embedding, t.identity != "unknown", group, person))
    return out


def cluster_report(tracks: list[TruthTrack], clusters: np.ndarray, what: str) -> tuple[float, float]:
    """Print purity and fragmentation of a clustering; return (purity, clusters per person)."""
    ids = np.unique(clusters)
    impure = []
    for k in ids:
        members = [t for t, c in zip(tracks, clusters) if c == k]
        people = {t.person for t in members if t.person}
        groups = {t.group for t in members}
        if len(people) > 1 or len(groups) > 1:
            impure.append((k, sorted(people), sorted(groups), len(members)))
    by_person: dict[str, set[int]] = {}
    for t, c in zip(tracks, clusters):
        if t.person:
            by_person.setdefault(t.person, set()).add(int(c))
    multi = {p: len(cs) for p, cs in by_person.items() if sum(t.person == p for t in tracks) > 1}
    purity = 1.0 - len(impure) / max(len(ids), 1)
    frag = float(np.mean(list(multi.values()))) if multi else float("nan")
    print(
        f"  clusters of {what}: {len(tracks)} tracks -> {len(ids)} clusters; purity {purity:.3f} "
        f"({len(impure)} hold two people or two clips; target 1.0); fragmentation {frag:.2f} clusters per "
        f"person over {len(multi)} people with 2+ tracks"
    )
    for k, people, groups, n in impure:
        print(f"    impure cluster {k}: {n} tracks, people {people}, clips {groups}")
    for p, n in sorted(multi.items()):
        if n > 1:
            print(f"    {p}: {sum(t.person == p for t in tracks)} tracks in {n} clusters")
    return purity, frag
