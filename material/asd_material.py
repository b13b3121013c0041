"""Labelled active-speaker material from the bundled sample, shared by tests and benchmarks.

The Hamilton clip (9.2 s, 29.97 fps, 640x360): Lin-Manuel Miranda raps from start to end (the
voice detector hears voice on ~97 % of it). Who is audible when, by looking and listening:

* 0.85-1.49 s wide stage shot: Miranda (standing, right half, ~40 px face) raps; Alex Lacamoire
  (piano, left) does not speak;
* 1.52-3.55 s Lacamoire in close profile, mouth half open, silent (the voice is Miranda's,
  off screen);
* 3.59-7.86 s Miranda in a medium shot, rapping into a hand-held microphone: the talking head;
* 7.89-9.99 s audience reaction shot (the Obamas and others laughing): nobody on screen speaks.

Variants are made with the ffmpeg CLI, video stream copied, only the sound replaced.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

TALKING_HEAD = (3.59, 7.87)  # Miranda's medium shot
AUDIENCE = (7.89, 10.0)  # the Obamas and others laughing: nobody on screen speaks
WIDE_SHOT = (0.85, 1.50)
CUTS = (1.505, 2.435, 3.305, 3.57, 7.875)  # shot changes (segments.csv): tracks end there
_REPLACE = ["-map", "0:v", "-map", "1:a", "-shortest"]  # video of input 0, sound of input 1
VARIANTS = {  # kind -> (second input, output options)
    "original": ([], []),
    "muted": (["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"], _REPLACE),  # digital silence
    "noise": (["-f", "lavfi", "-i", "anoisesrc=r=44100:a=0.003:c=white"], _REPLACE),  # -50 dBFS
    # the same voice 2 s late: speech while the lips move, but out of sync
    "shifted": ([], ["-af", "adelay=2000|2000,atrim=0:10"]),
    # the soundtrack played backwards: voice-like sound that no face on screen makes
    "reversed": ([], ["-af", "areverse"]),
}


def make_variant(source: Path, out: Path, kind: str, sound: Path | None = None) -> Path:
    """Copy ``source`` with its sound replaced as ``kind`` says; ``"replaced"`` takes the sound
    of another recording (``sound``: another speaker's voice, street noise), looped to length."""
    if kind == "replaced":
        if sound is None:
            raise ValueError("the replaced variant needs a recording to take the sound from")
        extra, options = ["-stream_loop", "-1", "-i", str(sound)], _REPLACE
    else:
        extra, options = VARIANTS[kind]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), *extra, *options, "-c:v", "copy", "-c:a", "aac", str(out)],
        check=True,
    )
    return out


def tts_voice(
    out: Path,
    text: str = "Four score and seven years ago our fathers brought forth "
    "on this continent a new nation, conceived in liberty, and dedicated to the "
    "proposition that all men are created equal.",
) -> Path | None:
    """A synthetic English voice (espeak-ng) as a WAV file; None where espeak-ng is missing."""
    if shutil.which("espeak-ng") is None:
        return None
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(out), text], check=True)
    return out


def speaking_truth(time: float, box: np.ndarray, width: int) -> bool:
    """Ground truth for a face of the Hamilton clip at ``time`` (box x1,y1,x2,y2 in pixels)."""
    if TALKING_HEAD[0] <= time <= TALKING_HEAD[1]:
        return True
    return WIDE_SHOT[0] <= time <= WIDE_SHOT[1] and (box[0] + box[2]) / 2 > width / 2


def largest_face_track(
    video: Path, span: tuple[float, float], detector: str = "mtcnn"
) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes at 5 fps (as the identity pipeline samples) with the largest face of each."""
    from speakerid.faces.detect import load_detector
    from speakerid.io import read_frames

    detector = load_detector(detector, min_face_size=64)
    times, boxes = [], []
    for batch in read_frames(video, fps=5, start=span[0], end=span[1], batch_size=32):
        for t, faces in zip(batch.times, detector.detect(batch.frames)):
            face = max(faces, key=lambda f: f.area, default=None)
            if face is not None:
                times.append(t)
                boxes.append(face.box)
    return np.array(times), np.array(boxes)


def face_tracks(
    video: Path, fps: float = 5.0, min_face_size: int = 20, cuts: tuple[float, ...] = CUTS
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every face at ``fps`` (the default detector), linked into tracks by box overlap (IoU > 0.3
    with the previous analysed frame) within a shot: what the identity pipeline hands to
    active-speaker detection."""
    from speakerid.faces.detect import load_detector
    from speakerid.io import read_frames

    detector = load_detector(min_face_size=min_face_size)
    live: list[tuple[list[float], list[np.ndarray]]] = []
    ended = []
    for batch in read_frames(video, fps=fps, batch_size=16):
        for time, faces in zip(batch.times, detector.detect(batch.frames)):
            if live and any(live[0][0][-1] < cut <= time for cut in cuts):
                ended, live = ended + live, []
            taken, nxt = set(), []
            for face in faces:
                best = max(range(len(live)), key=lambda i: _iou(live[i][1][-1], face.box), default=None)
                if best is not None and best not in taken and _iou(live[best][1][-1], face.box) > 0.3:
                    taken.add(best)
                    live[best][0].append(float(time))
                    live[best][1].append(np.asarray(face.box, np.float64))
                    nxt.append(live[best])
                else:
                    nxt.append(([float(time)], [np.asarray(face.box, np.float64)]))
            ended += [t for i, t in enumerate(live) if i not in taken]
            live = nxt
    return [(np.array(t), np.array(b)) for t, b in ended + live]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
