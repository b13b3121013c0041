"""Active-speaker scores gathered during the pipeline's single decode pass, in bounded memory.

The caller feeds every decoded grey frame (:meth:`add_frame`), the audio (:meth:`add_audio`)
and, at each analysed frame, the tracked face boxes (:meth:`add_boxes`). The collector:

1. resamples the frames to the 25 fps grid the network was trained on
   (:class:`~speakerid.asd.stream.FrameGrid`) and holds only the few grid frames that still
   lack a crop (boxes come at ~5 fps: a crop between two analysed frames needs both);
2. smooths each track's boxes (median over +-0.24 s, as the reference), interpolates them to
   every grid frame and cuts the 112x112 grey crops (:mod:`speakerid.asd.crops`);
3. feeds the audio to the voice detector as it comes (:mod:`speakerid.asd.vad`) and keeps
   only the seconds that unscored crops still need;
4. scores each track in windows of at most ``window_frames`` (4 s) as soon as 2 windows' worth
   of crops are there (so no window is a short leftover without context), skipping the network
   where no voice is heard at all; it measures lip-audio synchrony on the same crops
   (:mod:`speakerid.asd.sync`) and drops the crops;
5. at :meth:`finish`, applies the voice gate and the synchrony rule (:mod:`speakerid.asd.decide`).

Memory: the grid frames since the last :meth:`add_boxes` call (the caller's batch) plus ~0.5 s,
<= 8 s of crops per live track (12.5 kB each), the audio those need (64 kB/s), the voice
probabilities (450 kB per hour) and per track only its results (3 floats per analysed frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.ndimage import uniform_filter1d

from speakerid.asd.crops import SMOOTH_HALF_SECONDS, box_geometry, face_crop, interpolate_geometry, median_geometry
from speakerid.asd.decide import TrackScores, gate, synchrony_rule
from speakerid.asd.model import AUDIO_ROWS_PER_FRAME
from speakerid.asd.stream import GRID_FPS, SAMPLE_RATE, AudioBuffer, FrameGrid
from speakerid.asd.sync import synchrony
from speakerid.asd.vad import VOICE_PAD_SECONDS, VOICE_THRESHOLD, VoiceActivity
from speakerid.errors import ModelUnavailableError
from speakerid.io.audio import mfcc

if TYPE_CHECKING:
    from speakerid.asd.score import ActiveSpeakerScorer

SMOOTH_FRAMES = 5  # the reference averages scores over 5 frames
MIN_TRACK_FRAMES = 10  # the reference scores no track shorter than 10 frames (0.4 s): NaN
_EDGE = 0.5 / GRID_FPS  # a track covers the grid frames within half a frame of its first/last box
_FRAME_SAMPLES = SAMPLE_RATE // int(GRID_FPS)  # 640 samples per 25 fps frame
_MFCC_TAIL = 240  # the last MFCC row's 25 ms window reaches 240 samples past 4 rows per frame
_AUDIO_WAIT = 3.0  # s of video past a chunk without its audio -> the audio is missing there


@dataclass
class _Track:
    """One face track while it is being collected, and its results so far."""

    first: float
    raw_times: list[float] = field(default_factory=list)  # recent keyframes (smoothing window)
    raw_geometry: list[np.ndarray] = field(default_factory=list)
    key_times: list[float] = field(default_factory=list)  # smoothed keyframes not yet passed
    key_geometry: list[np.ndarray] = field(default_factory=list)
    smoothed: int = 0  # keyframes smoothed so far (index into the track's keyframe sequence)
    seen: int = 0  # keyframes received so far
    next_grid: int | None = None  # next grid index to crop
    crop_times: list[float] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # the caller's times (add_boxes)
    asd: list[float] = field(default_factory=list)  # resolved values at times[:len(asd)]
    sync: list[float] = field(default_factory=list)
    tail: tuple[float, float, float] | None = None  # last scored grid frame (time, asd, sync)
    ended: bool = False

    @property
    def last(self) -> float:
        return self.times[-1]


class ActiveSpeakerCollector:
    """Fed during the pipeline's single decode pass; memory bounded (does not grow with video
    length beyond a few floats of result per analysed face).

    ``scorer``: an :class:`~speakerid.asd.score.ActiveSpeakerScorer` (Light-ASD weights).
    ``threshold``: the speaking threshold the caller applies (the synchrony rule needs it).
    ``voice_gate`` / ``sync_rule``: switch the two rules off (to measure what they do).
    """

    def __init__(
        self, scorer: ActiveSpeakerScorer, *, threshold: float = 0.5, voice_gate: bool = True, sync_rule: bool = True
    ) -> None:
        self.scorer = scorer
        self.threshold = threshold
        self.voice_gate = voice_gate
        self.sync_rule = sync_rule
        self.sample_rate = SAMPLE_RATE  # what add_audio expects
        self.notes: list[str] = []
        # after finish: (track id, network score, synchrony and voice at its times) per track
        self.details: list[tuple[int, TrackScores]] = []
        self._window = max(scorer.window_frames)
        self._grid = FrameGrid()
        self._frames: dict[int, tuple[float, np.ndarray]] = {}  # grid frames awaiting crops
        self._audio = AudioBuffer(SAMPLE_RATE)
        self._vad: VoiceActivity | None = None
        self._live: dict[int, _Track] = {}
        self._closing: list[tuple[int, _Track]] = []  # ended, crops or results still pending
        self._done: list[tuple[int, _Track]] = []
        self._boxes_time = -math.inf
        self._video_time = -math.inf
        self._finished = False

    # -- feeding --------------------------------------------------------------------------
    def add_audio(self, start: float, samples: np.ndarray) -> None:
        """Mono float32 in [-1, 1] at 16 kHz; consecutive chunks, ``start`` = PTS of sample 0."""
        added = self._audio.append(start, samples)
        if self._vad is None and self.voice_gate:
            try:
                self._vad = VoiceActivity(self._audio.origin)
            except ModelUnavailableError as exc:
                self.notes.append(f"voice detector unavailable ({exc}): speaking scores are not gated on voice")
                self.voice_gate = False
        if self._vad is not None:
            self._vad.push(added)
        self._score_ready()

    def add_frame(self, time: float, grey: np.ndarray) -> None:
        """Every decoded frame of the analysed span, (H,W) uint8 display-oriented, in order."""
        self._video_time = max(self._video_time, time)
        for index, grid_time, image in self._grid.push(time, grey):
            self._frames[index] = (grid_time, image)

    def add_boxes(self, time: float, boxes: dict[int, np.ndarray]) -> None:
        """Tracked faces at an analysed frame: track id -> pixel box x1,y1,x2,y2. A live track
        missing here has ended."""
        for track_id in [t for t in self._live if t not in boxes]:
            self._end(track_id)
        for track_id, box in boxes.items():
            self._add_key(track_id, time, box)
        self._boxes_time = max(self._boxes_time, time)
        self._advance()

    def finish(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per track: (its add_boxes times, speaking score 0..1 or NaN), rules applied."""
        self._finished = True
        if self._vad is not None:
            self._vad.finish()
        for index, grid_time, image in self._grid.finish():
            self._frames[index] = (grid_time, image)
        for track_id in list(self._live):
            self._end(track_id)
        self._advance()
        self._frames.clear()
        return self._results()

    @property
    def buffered(self) -> dict[str, float]:
        """What is held for pending work now: grid frames, face crops, seconds of audio."""
        return {
            "frames": len(self._frames),
            "crops": sum(len(t.crops) for t in self._pending()),
            "audio_seconds": self._audio.held_seconds,
        }

    # -- tracks and crops ---------------------------------------------------------------------
    def _add_key(self, track_id: int, time: float, box: np.ndarray) -> None:
        track = self._live.get(track_id)
        if track is None:
            track = self._live[track_id] = _Track(first=time)
        track.times.append(time)
        track.raw_times.append(time)
        track.raw_geometry.append(box_geometry(box)[0])
        track.seen += 1
        self._smooth(track)

    def _end(self, track_id: int) -> None:
        track = self._live.pop(track_id)
        track.ended = True
        self._smooth(track)
        self._closing.append((track_id, track))

    def _smooth(self, track: _Track) -> None:
        """Smooth every keyframe whose +-0.24 s window is complete (or the track ended)."""
        while track.smoothed < track.seen:
            offset = track.seen - len(track.raw_times)
            at = track.raw_times[track.smoothed - offset]
            if not track.ended and track.raw_times[-1] < at + SMOOTH_HALF_SECONDS - 1e-6:
                break
            track.key_times.append(at)
            track.key_geometry.append(median_geometry(track.raw_times, track.raw_geometry, at))
            track.smoothed += 1
            while track.raw_times and track.raw_times[0] < at - SMOOTH_HALF_SECONDS - 1e-6:
                track.raw_times.pop(0)
                track.raw_geometry.pop(0)

    def _advance(self) -> None:
        for track in self._pending():
            self._cut(track)
        self._score_ready()
        self._prune()

    def _pending(self) -> list[_Track]:
        return [*self._live.values(), *(t for _, t in self._closing)]

    def _cut(self, track: _Track) -> None:
        """Crops for the grid frames the track's smoothed keyframes now cover."""
        if not self._grid.started or not track.key_times:
            return
        if track.next_grid is None:
            track.next_grid = self._grid.index_at_or_after(track.first - _EDGE)
        covered = track.last + _EDGE if track.ended and track.smoothed == track.seen else track.key_times[-1]
        keys_t, keys_g = np.array(track.key_times), np.array(track.key_geometry)
        if self._frames:
            track.next_grid = max(track.next_grid, min(self._frames))
        while track.next_grid in self._frames:
            grid_time, image = self._frames[track.next_grid]
            if grid_time > covered + 1e-9:
                break
            geometry = interpolate_geometry(keys_t, keys_g, [grid_time])[0]
            track.crops.append(face_crop(image, geometry))
            track.crop_times.append(grid_time)
            track.next_grid += 1
        while len(track.key_times) > 1 and track.key_times[1] <= self._grid.time(track.next_grid):
            track.key_times.pop(0)
            track.key_geometry.pop(0)

    # -- scoring --------------------------------------------------------------------------
    def _score_ready(self) -> None:
        for track in self._pending():
            while track.crops:
                final = track.ended and self._cut_complete(track)
                if not final and len(track.crops) < 2 * self._window:
                    break
                count = len(track.crops) if final else self._window
                if not self._audio_covers(track.crop_times[count - 1]):
                    break
                self._score_chunk(track, count)
            if track.ended and not track.crops and self._cut_complete(track):
                self._resolve(track, final=True)
        for item in [item for item in self._closing if len(item[1].asd) == len(item[1].times)]:
            self._closing.remove(item)
            item[1].crops, item[1].crop_times = [], []  # scored enough: every time is resolved
            self._done.append(item)

    def _cut_complete(self, track: _Track) -> bool:
        """No further crop can come for an ended track (its last grid frame was cut or is gone)."""
        if track.next_grid is None or not self._grid.started:
            return self._finished
        return self._finished or self._grid.time(track.next_grid) > track.last + _EDGE

    def _audio_covers(self, last_time: float) -> bool:
        """The audio (and voice detection) a chunk ending at ``last_time`` needs has arrived,
        or never will (finished, or the video is well past it without audio)."""
        needed = last_time + 1 / GRID_FPS + VOICE_PAD_SECONDS
        end = self._audio.end_time
        if end is not None and self._vad is not None:
            end = min(end, self._vad.end_time)
        return self._finished or (end is not None and end >= needed) or self._video_time >= needed + _AUDIO_WAIT

    def _score_chunk(self, track: _Track, count: int) -> None:
        times = np.array(track.crop_times[:count])
        crops = np.stack(track.crops[:count])
        del track.crops[:count], track.crop_times[:count]
        samples = self._audio.slice(times[0], count * _FRAME_SAMPLES + _MFCC_TAIL)
        if track.tail is None and track.ended and count < MIN_TRACK_FRAMES:
            asd = sync = np.full(count, np.nan)  # too short to judge, as in the reference
        elif self.voice_gate and self._voice(times).max() < VOICE_THRESHOLD:
            asd = np.zeros(count)  # nobody can be speaking: skip the network
            sync = np.full(count, np.nan)
        else:
            rows = mfcc(samples, SAMPLE_RATE)[: AUDIO_ROWS_PER_FRAME * count]
            asd = uniform_filter1d(self.scorer.score_crops(crops, rows), SMOOTH_FRAMES, mode="nearest")
            sync = np.full(count, synchrony(crops, samples[: count * _FRAME_SAMPLES], SAMPLE_RATE))
        self._resolve(track, times, asd, sync)

    def _voice(self, times: np.ndarray) -> np.ndarray:
        if self._vad is None:
            return np.zeros(len(times), np.float32)
        return self._vad.voice(times)

    def _resolve(
        self,
        track: _Track,
        times: np.ndarray | None = None,
        asd: np.ndarray | None = None,
        sync: np.ndarray | None = None,
        final: bool = False,
    ) -> None:
        """Interpolate the newly scored 25 fps values at the caller's times they now cover."""
        if times is None:
            times, asd, sync = np.zeros(0), np.zeros(0), np.zeros(0)
        if track.tail is not None:
            times = np.concatenate([[track.tail[0]], times])
            asd = np.concatenate([[track.tail[1]], asd])
            sync = np.concatenate([[track.tail[2]], sync])
        if not len(times):
            if final:  # nothing was ever cropped (e.g. the track lies outside the video)
                track.asd += [np.nan] * (len(track.times) - len(track.asd))
                track.sync += [np.nan] * (len(track.times) - len(track.sync))
            return
        done = len(track.asd)
        upto = len(track.times) if final else int(np.searchsorted(track.times, times[-1], "right"))
        if upto > done:
            at = np.array(track.times[done:upto])
            track.asd += np.interp(at, times, asd).tolist()
            track.sync += np.interp(at, times, sync).tolist()
        track.tail = (float(times[-1]), float(asd[-1]), float(sync[-1]))

    def _prune(self) -> None:
        """Drop grid frames and audio that nothing pending can need any more."""
        if not self._grid.started:
            return
        needs = [
            self._grid.time(t.next_grid)
            for t in self._pending()
            if t.next_grid is not None and not (t.ended and self._cut_complete(t))
        ]
        keep_from = min(needs + [self._boxes_time - _EDGE])
        for index in [i for i, (t, _) in self._frames.items() if t < keep_from - 1e-9]:
            del self._frames[index]
        unscored = [t.crop_times[0] for t in self._pending() if t.crop_times]
        self._audio.drop_before(min(unscored + [keep_from]))

    # -- results --------------------------------------------------------------------------
    def _results(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        ids, tracks = [], []
        for track_id, track in sorted(self._done, key=lambda item: item[1].first):
            ids.append(track_id)
            times = np.array(track.times)
            tracks.append(
                TrackScores(
                    times,
                    np.array(track.asd, np.float64),
                    np.array(track.sync, np.float64),
                    self._voice(times).astype(np.float64),
                )
            )
        self.details = list(zip(ids, tracks))
        scores = [gate(t) if self.voice_gate else t.asd for t in tracks]
        if self.sync_rule:
            scores = synchrony_rule(tracks, scores, self.threshold)
        self._add_notes(tracks)
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for track_id, track, score in zip(ids, tracks, scores):
            if track_id in out:  # an id that came back after ending: one record, in time order
                t0, s0 = out[track_id]
                track_times, score = np.concatenate([t0, track.times]), np.concatenate([s0, score])
                order = np.argsort(track_times, kind="stable")
                out[track_id] = (track_times[order], score[order])
            else:
                out[track_id] = (track.times, score)
        return out

    def _add_notes(self, tracks: list[TrackScores]) -> None:
        if self._audio.origin is None:
            self.notes.append(
                "no audio reached active-speaker detection: nobody can be heard, so no face is marked speaking"
            )
        elif self.voice_gate and tracks and not any((t.voice >= VOICE_THRESHOLD).any() for t in tracks):
            self.notes.append("no voice detected while faces were visible: no face is marked speaking")
