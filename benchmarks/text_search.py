"""Text search quality on every public clip: names only, zero-shot concepts, both, Video2Vec.

    python benchmarks/text_search.py

Items are the rows of ../shared/data/videos*/segments.csv (22 shots of 10 videos); queries and
relevance judgements are ``benchmarks/text_search_queries.json``, written before any ranking was
run. The names evidence is the hand annotation's gallery people (what a perfect core would
identify: an upper bound for names). Concept vectors are computed here exactly as
``embed-videos`` computes them (``speakerid.video.concepts``). Items a mode cannot score (no
evidence) are ranked last, tied. Prints precision@1/@3 and mAP per query kind and mode, the
CPU cost of the concept embeddings per minute of video, and what the default cut-off shows.
(Video2Vec trained on part of these labels and queried with held-out words is not measured here
yet; ``speakerid train-video --holdout`` reports it on the speaker clips, docs/video_models.md.)
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
QUERIES = HERE / "text_search_queries.json"
MODES = {"names only": ("name",), "concepts only": ("concepts",), "combined": ("name", "concepts")}


def load_items() -> tuple[list[dict], list[dict]]:
    spec = json.loads(QUERIES.read_text())
    rows = {}
    for folder in ("videos", "videos_dev"):
        for r in csv.DictReader(open(DATA / folder / "segments.csv", newline="")):
            rows[f"{folder}/{r['video']}:{r['first_frame']}-{r['last_frame']}"] = (folder, r)
    items = []
    for it in spec["items"]:
        folder, r = rows[it["id"]]
        path = str(DATA / folder / r["video"])
        items.append({**it, "path": path, "first": int(r["first_frame"]) + 1, "last": int(r["last_frame"]) + 1})
    assert len(items) == len(rows), "the query file must judge every public clip"
    return items, spec["queries"]


def concept_vectors(items: list[dict]) -> tuple[np.ndarray, list[list[str]], dict]:
    """ConSE vector + top concepts per item, and the cost (wall and CPU s per minute of video)."""
    from speakerid.video.clips import num_frames, video_info
    from speakerid.video.concepts import ConceptModel, video_frame_probs

    model = ConceptModel()
    model.class_vectors, model.net  # noqa: B018  (load once, outside the timing)
    per_video, wall, cpu, seconds = {}, 0.0, 0.0, 0.0
    for path in dict.fromkeys(it["path"] for it in items):
        t0, c0 = time.perf_counter(), time.process_time()
        per_video[path] = video_frame_probs(model, path)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        seconds += num_frames(path) / video_info(path).fps
    cost = {"video_s": seconds, "wall_per_min": wall / seconds * 60, "cpu_per_min": cpu / seconds * 60}
    return (*mix(model, per_video, items), cost)


def mix(model, per_video: dict, items: list[dict]) -> tuple[np.ndarray, list[list[str]]]:
    """Each item's ConSE vector and top concepts from its video's frame probabilities."""
    from speakerid.video.concepts import span_probs

    out = [model.embed(span_probs(*per_video[it["path"]], it["first"], it["last"])) for it in items]
    return np.stack([v for v, _ in out]), [n for _, n in out]


def sweep(items: list[dict], queries: list[dict]) -> None:
    """Concept-only mAP of other ConSE mixes (reported, not tuned on: the product keeps top-10)."""
    from speakerid.video.concepts import ConceptModel, ConceptSettings, video_frame_probs

    base = ConceptModel()
    per_video = {p: video_frame_probs(base, p) for p in dict.fromkeys(it["path"] for it in items)}
    for top_k in (1, 3, 10, 30, 1000):
        model = ConceptModel(ConceptSettings(top_k=top_k))
        model.__dict__["class_vectors"] = base.class_vectors
        table = evaluate(make_items(items, *mix(model, per_video, items)), queries, {"concepts": ("concepts",)})
        print("  ".join(f"top-{top_k:<4} {kind}: mAP {r['ap']:.3f}" for (kind, _), r in table.items()))


def make_items(items: list[dict], concepts: np.ndarray, names: list[list[str]], video: np.ndarray | None = None):
    from speakerid.video.search import Items

    n = len(items)
    none = np.full((n, 1), np.nan, np.float32)
    return Items(
        [it["id"] for it in items],
        [it["path"] for it in items],
        [it["path"] for it in items],
        [[it["first"], it["last"]] for it in items],
        [it["names"] for it in items],
        "clips",
        None,
        none if video is None else video,
        concepts,
        names,
    )


def ranking(items, query: str, kinds: tuple[str, ...]) -> list[str]:
    """Item ids best first; items without evidence are left out (ranked last, tied, by the metrics)."""
    from speakerid.video.search import rank_items

    return [h.id for h in rank_items(items, query, None, kinds)]


def metrics(order: list[str], all_ids: list[str], relevant: set[str]) -> dict[str, float]:
    """precision@1/@3 and AP, with the unranked items as one tie at the end (expected values)."""
    rest = [i for i in all_ids if i not in set(order)]
    rest_rate = sum(i in relevant for i in rest) / len(rest) if rest else 0.0
    hits = [float(i in relevant) for i in order] + [rest_rate] * len(rest)
    out = {f"p@{k}": float(np.mean(hits[:k])) for k in (1, 3)}
    found, ap = 0.0, 0.0
    for rank, h in enumerate(hits, 1):  # expected AP: each tied slot holds rest_rate of a relevant item
        found += h
        ap += h * found / rank
    out["ap"] = ap / len(relevant)
    return out


def evaluate(items, queries: list[dict], modes: dict[str, tuple[str, ...]]) -> dict:
    all_ids = items.ids
    table = {}
    for kind in ("free", "name"):
        qs = [q for q in queries if q["kind"] == kind]
        for mode, kinds in modes.items() if qs else ():
            rows = [metrics(ranking(items, q["text"], kinds), all_ids, set(q["relevant"])) for q in qs]
            table[(kind, mode)] = {m: float(np.mean([r[m] for r in rows])) for m in rows[0]} | {"n": len(qs)}
    return table


def halves(queries: list[dict]) -> dict[str, list[dict]]:
    """The free-text queries split in two, fixed before calibrating: tuning = even positions in the
    query file, held out = odd; and the name queries (never tuned on)."""
    free = [q for q in queries if q["kind"] == "free"]
    return {"free, tuning half": free[0::2], "free, held-out half": free[1::2]} | {
        "names": [q for q in queries if q["kind"] == "name"]
    }


def concept_pairs(items, queries: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(raw concept cosine, relevant?) of every (query, item) pair."""
    from speakerid.video.search import raw_scores

    raw = [raw_scores(items, q["text"], ("concepts",))[0]["concepts"] for q in queries]
    rel = [[i in set(q["relevant"]) for i in items.ids] for q in queries]
    return np.concatenate(raw), np.concatenate(rel)


def threshold_from(raw: np.ndarray, relevant: np.ndarray, min_shown: int = 3) -> tuple[float, str]:
    """The lowest raw concept cosine from which at least half the pairs shown are relevant; if
    none, just above the highest irrelevant one (so no tuning pair is shown wrongly)."""
    ok = [t for t in np.unique(raw) if (raw >= t).sum() >= min_shown and relevant[raw >= t].mean() >= 0.5]
    if ok:
        return float(min(ok)), "precision >= 0.5"
    return float(raw[~relevant].max()) + 0.01, "no cosine reaches precision 0.5: above the highest irrelevant"


def calibrate(items, queries: list[dict]) -> None:
    """The concept threshold each half implies, and what it shows on the other (2-fold)."""
    tune, held, _ = halves(queries).values()
    for name, (a, b) in {"tuning": (tune, held), "held-out (swapped)": (held, tune)}.items():
        (ra, ya), (rb, yb) = concept_pairs(items, a), concept_pairs(items, b)
        t, why = threshold_from(ra, ya)
        here, there = (f"{int(y[r >= t].sum())}/{int((r >= t).sum())} relevant" for r, y in ((ra, ya), (rb, yb)))
        print(f"calibrated on the {name} half: concepts threshold {t:.2f} ({why}); shown there {here}, ", end="")
        print(f"on the other half {there}")


def cut_off(items, queries: list[dict]) -> None:
    """What the user sees at the default cut-off: the matches, else the weak nearest candidates."""
    from speakerid.review.search import MIN_SCORE, NEAREST, cut
    from speakerid.video.search import rank_items

    print(f"\nshown at the default minimum score {MIN_SCORE} (relevant / shown; k = 20)")
    for name, qs in halves(queries).items():
        counts = {"match": [0, 0, 0], "weak": [0, 0, 0]}  # queries, relevant shown, shown
        first = 0  # queries whose first weak candidate is relevant
        for q in qs:
            kept, nearest = cut(rank_items(items, q["text"], None), MIN_SCORE, 20)
            first += bool(nearest) and nearest[0].id in q["relevant"]
            for kind, hs in (("match", kept), ("weak", nearest)):
                c = counts[kind]
                c[0] += bool(hs)
                c[1] += sum(h.id in q["relevant"] for h in hs)
                c[2] += len(hs)
        (mq, mr, ms), (wq, wr, ws) = counts.values()
        chance = np.mean([len(q["relevant"]) / len(items.ids) for q in qs])
        print(
            f"  {name:<20} ({len(qs):>2}): matches on {mq} queries, {mr}/{ms} relevant; weak nearest "
            f"(<= {NEAREST}) on {wq}, {wr}/{ws} relevant, the first on {first}/{wq} (chance {chance:.2f})"
        )


def print_table(table: dict, title: str) -> None:
    print(f"\n{title}")
    print(f"{'queries':<8} {'mode':<16} {'n':>3} {'P@1':>6} {'P@3':>6} {'mAP':>6}")
    for (kind, mode), r in table.items():
        print(f"{kind:<8} {mode:<16} {r['n']:>3} {r['p@1']:>6.3f} {r['p@3']:>6.3f} {r['ap']:>6.3f}")


def chance(items: list[dict], queries: list[dict]) -> None:
    for kind in ("free", "name"):
        rates = [len(q["relevant"]) / len(items) for q in queries if q["kind"] == kind]
        if rates:
            print(f"chance mAP ({kind}) ~ {np.mean(rates):.3f} (share of relevant items)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="also: concept-only mAP for other ConSE top-k")
    args = parser.parse_args()
    items, queries = load_items()
    concepts, concept_names, cost = concept_vectors(items)
    print(
        f"zero-shot concepts: {cost['video_s']:.1f} s of video; {cost['wall_per_min']:.1f} s wall and "
        f"{cost['cpu_per_min']:.1f} s CPU per minute of video (2 fps, 224 px, 1 thread; shared 2-core box)"
    )
    searchable = make_items(items, concepts, concept_names)
    chance(items, queries)
    print_table(evaluate(searchable, queries, MODES), f"{len(items)} clips, {len(queries)} queries")
    calibrate(searchable, queries)
    cut_off(searchable, queries)
    if args.sweep:
        sweep(items, queries)


if __name__ == "__main__":
    main()
