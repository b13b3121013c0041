"""Video2Vec speed: clips embedded per second, and text-query latency over 100k embeddings.

Prints: (1) windows embedded per second on the two sample videos with a cold feature cache
(decode + Farnebäck flow + two MobileNetV2 streams + RNN/MLP) and a warm one (cached features:
RNN/MLP only), for a paper-size head (weights random: speed does not depend on them);
(2) latency of one text query over N synthetic clip embeddings with speaker names (text
encoding + combined video2vec/name scoring + top-k), median and p95, target < 50 ms.
Usage: python benchmarks/video_embed_speed.py [--items 100000] [--fps 10] [--size 112]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"


def embed_speed(fps: float, size: int, window: float, threads: int) -> None:
    from speakerid.video.clips import Span, num_frames, video_info, window_clips
    from speakerid.video.embedder import VideoEmbedder
    from speakerid.video.features import FeatureSettings
    from speakerid.video.model import CheckpointMeta, ModelConfig, TwoStreamRNN, save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPEAKERID_CACHE"] = str(Path(tmp) / "cache")
        meta = CheckpointMeta(
            ["a", "b"], ["a", "b"], "all-minilm-l6-v2", FeatureSettings(fps=fps, size=size).to_dict(), window
        )
        ckpt = save_checkpoint(Path(tmp) / "ckpt", TwoStreamRNN(ModelConfig(2, 384)), meta)
        embedder = VideoEmbedder(ckpt, threads=threads)
        _ = embedder.store.extractor  # build the CNNs outside the timing
        paths = [str(p) for p in sorted(VIDEOS.glob("*.mp4"))]
        spans = [Span(p, None, 1, num_frames(p), p) for p in paths]
        n = len(window_clips(spans, window))
        seconds = sum(num_frames(p) / video_info(p).fps for p in paths)
        for label in ("cold cache", "warm cache"):
            t0 = time.perf_counter()
            embedder.embed_spans(spans)
            dt = time.perf_counter() - t0
            print(
                f"embed {label}: {n} windows of {window:g} s ({fps:g} fps, {size}px) in "
                f"{dt:.2f} s -> {n / dt:.1f} windows/s, {seconds / dt:.1f} s of video per s"
            )


def query_latency(n_items: int, n_names: int, queries: int) -> None:
    from speakerid.video.search import Items, rank_items
    from speakerid.video.text import get_text_encoder

    rng = np.random.default_rng(0)
    embs = rng.standard_normal((n_items, 384)).astype(np.float32)
    embs /= np.linalg.norm(embs, axis=1, keepdims=True)
    pool = [f"person_{i}" for i in range(n_names)] + ["barack_obama", "lin_manuel_miranda"]
    names = [[str(n) for n in rng.choice(pool, size=rng.integers(0, 4), replace=False)] for _ in range(n_items)]
    ids = [f"{i:024x}" for i in range(n_items)]
    items = Items(
        ids, ids, ["x.mp4"] * n_items, [None] * n_items, names, "clips", "speaker_segments", embs, embs, [[]] * n_items
    )
    get_text_encoder()
    rank_items(items, "warm up", k=10)  # loads the encoder, caches the name vectors
    words = ["Obama", "Lin-Manuel Miranda", "a man at a piano", "crowd in the street", "person 17", "audience laughing"]
    times = []
    for i in range(queries):
        t0 = time.perf_counter()
        hits = rank_items(items, words[i % len(words)], k=10)
        times.append(time.perf_counter() - t0)
    ms = np.array(times) * 1000
    print(
        f"query over {n_items} clip embeddings ({len(pool)} distinct speaker names): "
        f"median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms "
        f"(target < 50 ms); top hit for {words[(queries - 1) % len(words)]!r}: {hits[0].names}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--names", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {args.threads}, cpu cores: {os.cpu_count()}")
    embed_speed(args.fps, args.size, args.window, args.threads)
    query_latency(args.items, args.names, args.queries)


if __name__ == "__main__":
    main()
