"""An independent reference for active-speaker scores: Light-ASD's own code and recipe.

The network is the released reference implementation (``../shared/weights/light-asd/reference``:
``model/Model.py`` and ``loss.py``), the inputs are made as its ``Columbia_test.py`` makes them
(boxes interpolated to 25 fps and median-filtered over 13 frames, the pad -> crop -> 224 -> centre
112 chain, ``python_speech_features`` MFCCs of 16-bit samples) and scored as its
``evaluate_network`` does (window lengths 1,1,1,2,2,2,3,3,4,5,6 s, averaged; the speaking class's
softmax, as its training reports it). Nothing of speakerid's ASD code is used, so the streaming
collector can be checked against it rather than against itself fed another way.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import python_speech_features
import torch
from scipy.signal import medfilt

DURATIONS = (1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6)


def _reference_modules(code: Path):
    """ASD_Model and lossAV from the reference folder (its modules are named model and loss, so
    they are imported from there and then forgotten)."""
    sys.path.insert(0, str(code))
    try:
        Model = importlib.import_module("model.Model")
        loss = importlib.import_module("loss")
    finally:
        sys.path.remove(str(code))
        for name in [m for m in sys.modules if m == "model" or m.startswith("model.") or m == "loss"]:
            del sys.modules[name]
    return Model.ASD_Model, loss.lossAV


def reference_net(weights_dir: Path, name: str):
    """The reference network and head with released weights (tensors only: weights_only)."""
    ASD_Model, lossAV = _reference_modules(weights_dir / "reference")
    model, head = ASD_Model(), lossAV()
    state = torch.load(weights_dir / name, map_location="cpu", weights_only=True)
    model.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
    head.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("lossAV.")})
    return model.eval(), head.eval()


def track_inputs(path: Path, times: np.ndarray, boxes: np.ndarray):
    """The 25 fps grid from the track's first time, its crops and its 16 kHz 16-bit sound."""
    grid = np.arange(times[0], times[-1] + 1e-9, 1 / 25)
    frames_t, frames = [], []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            if f.time > times[-1] + 0.1:
                break
            if f.time >= times[0] - 0.1:
                frames_t.append(f.time)
                frames.append(f.to_ndarray(format="gray"))
    frames_t = np.array(frames_t)
    cx = np.interp(grid, times, (boxes[:, 0] + boxes[:, 2]) / 2)
    cy = np.interp(grid, times, (boxes[:, 1] + boxes[:, 3]) / 2)
    s = np.interp(grid, times, np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / 2)
    s, cx, cy = medfilt(s, 13), medfilt(cx, 13), medfilt(cy, 13)
    crops = []
    for t, x, y, bs in zip(grid, cx, cy, s):
        img = frames[int(np.argmin(np.abs(frames_t - t)))]
        bsi = int(bs * (1 + 2 * 0.4))
        pad = np.pad(img, ((bsi, bsi), (bsi, bsi)), "constant", constant_values=110)
        my, mx = y + bsi, x + bsi
        face = pad[int(my - bs) : int(my + bs * (1 + 2 * 0.4)), int(mx - bs * (1 + 0.4)) : int(mx + bs * (1 + 0.4))]
        face = cv2.resize(face, (224, 224))
        crops.append(face[56:168, 56:168])
    resampler, pcm, audio_start = av.AudioResampler(format="s16", layout="mono", rate=16000), [], None
    with av.open(str(path)) as c:
        for f in c.decode(audio=0):
            audio_start = f.time if audio_start is None else audio_start
            pcm.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(f))
    first = int(round((grid[0] - audio_start) * 16000))  # sample 0 of the track's sound
    audio = np.concatenate(pcm)[first : first + int(round(len(grid) / 25 * 16000))]
    return grid, np.array(crops), audio


def reference_scores(model, head, crops, audio) -> np.ndarray:
    """evaluate_network: 11 window lengths, softmax of the speaking class, averaged."""
    mfcc = python_speech_features.mfcc(audio, 16000, numcep=13, winlen=0.025, winstep=0.010)
    length = min((mfcc.shape[0] - mfcc.shape[0] % 4) / 100, crops.shape[0] / 25)
    mfcc, crops = mfcc[: int(round(length * 100))], crops[: int(round(length * 25))]
    runs = []
    with torch.no_grad():
        for d in DURATIONS:
            scores = []
            for i in range(int(math.ceil(length / d))):
                a = torch.FloatTensor(mfcc[i * d * 100 : (i + 1) * d * 100]).unsqueeze(0)
                v = torch.FloatTensor(crops[i * d * 25 : (i + 1) * d * 25]).unsqueeze(0)
                out = model.forward_audio_visual_backend(
                    model.forward_audio_frontend(a), model.forward_visual_frontend(v)
                )
                _, prob, _, _ = head(out, labels=torch.zeros(out.shape[0]))
                scores.extend(prob[:, 1].numpy())
            runs.append(scores)
    return np.mean(np.array(runs), axis=0)
