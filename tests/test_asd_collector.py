"""The streaming collector as the pipeline will use it: fed frame by frame from one PyAV pass."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from asd_material import AUDIENCE, TALKING_HEAD, largest_face_track
from asd_reference import reference_net, reference_scores, track_inputs

from speakerid.asd.collector import ActiveSpeakerCollector
from speakerid.asd.score import ActiveSpeakerScorer

pytestmark = pytest.mark.slow  # real model, real clip


@pytest.fixture(scope="module")
def scorer(light_asd_weights: Path) -> ActiveSpeakerScorer:
    return ActiveSpeakerScorer(light_asd_weights / "finetuning_TalkSet.model")


@pytest.fixture(scope="module")
def tracks(hamilton: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    return [largest_face_track(hamilton, TALKING_HEAD), largest_face_track(hamilton, AUDIENCE)]


def feed_from_pyav(
    collector: ActiveSpeakerCollector, path: Path, tracks: list[tuple[np.ndarray, np.ndarray]]
) -> list[float]:
    """Decode video and audio in one demux pass and feed the collector as the pipeline does:
    every frame, the audio as it comes, and the boxes at the analysed frames (the tracks'
    times, and every 6th frame elsewhere, with no face); returns the peak of the collector's
    buffers along the way."""
    spans = [(times[0], times[-1]) for times, _ in tracks]
    boxes_at: dict[float, tuple[float, dict[int, np.ndarray]]] = {}  # rounded -> (time, boxes)
    for index, (times, boxes) in enumerate(tracks):
        for time, box in zip(times, boxes):
            boxes_at.setdefault(round(float(time), 6), (float(time), {}))[1][index] = box
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
    peaks = {"frames": 0, "crops": 0, "audio_seconds": 0.0}
    audio_time, index = None, 0
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        for packet in container.demux(video, audio):
            for frame in packet.decode():
                if packet.stream is audio:
                    audio_time = frame.time if audio_time is None else audio_time
                    for out in resampler.resample(frame):
                        chunk = out.to_ndarray().reshape(-1)
                        collector.add_audio(audio_time, chunk)
                        audio_time += len(chunk) / 16000
                else:
                    collector.add_frame(frame.time, frame.to_ndarray(format="gray"))
                    if round(frame.time, 6) in boxes_at:
                        collector.add_boxes(*boxes_at[round(frame.time, 6)])
                    elif index % 6 == 0 and not any(a <= frame.time <= b for a, b in spans):
                        collector.add_boxes(frame.time, {})
                    index += 1
                for key, value in collector.buffered.items():
                    peaks[key] = max(peaks[key], value)
    return peaks


@pytest.fixture(scope="module")
def streamed(scorer, hamilton: Path, tracks) -> tuple[dict, dict]:
    """The collector's scores of both tracks fed from one PyAV pass, and its buffers' peaks."""
    collector = ActiveSpeakerCollector(scorer)
    peaks = feed_from_pyav(collector, hamilton, tracks)
    return collector.finish(), peaks


def test_streaming_collector_agrees_with_one_call_scoring(scorer, hamilton: Path, tracks, streamed):
    scores, peaks = streamed
    batch = scorer.score_tracks(hamilton, tracks)
    assert sorted(scores) == [0, 1]
    for index, (times, _) in enumerate(tracks):
        got_times, got = scores[index]
        np.testing.assert_array_equal(got_times, times)
        np.testing.assert_allclose(got, batch[index], atol=0.05)
    assert np.mean(scores[0][1] >= 0.5) >= 0.9 > 0.1 >= np.mean(scores[1][1] >= 0.5)
    # bounded: a few grid frames, < 2 windows (8 s) of crops, the audio those need
    assert peaks["frames"] <= 20 and peaks["crops"] <= 200 and peaks["audio_seconds"] <= 10


def test_streaming_collector_agrees_with_light_asds_own_evaluation(light_asd_weights: Path, hamilton, tracks, streamed):
    """Independent of speakerid's ASD code: Light-ASD's reference network, crops and windows
    (tests/asd_reference.py). Measured: mean |difference| 0.07 on the rapping track and 0.003 on
    the audience, every decision the same."""
    model, head = reference_net(light_asd_weights, "finetuning_TalkSet.model")
    for index, (times, boxes) in enumerate(tracks):
        grid, crops, audio = track_inputs(hamilton, times, boxes)
        reference = reference_scores(model, head, crops, audio)
        at_times = np.interp(times, grid[: len(reference)], reference)
        ours = streamed[0][index][1]
        assert np.mean(at_times >= 0.5) == (1.0 if index == 0 else 0.0)  # the reference: Miranda raps, the audience not
        assert np.mean((ours >= 0.5) == (at_times >= 0.5)) >= 0.95, (index, ours, at_times)
        assert np.mean(np.abs(ours - at_times)) <= 0.15, (index, ours, at_times)


def test_memory_stays_flat_over_a_long_stream_and_ids_end_by_absence(scorer):
    """Ten minutes at 30 fps (noise pictures, digital silence): buffers never grow with time,
    a track missing from an add_boxes call ends there, and results come back at the given
    times."""
    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 255, (8, 180, 320), dtype=np.uint8)
    collector = ActiveSpeakerCollector(scorer)
    box = np.array([100.0, 40.0, 160.0, 110.0])
    given: dict[int, list[float]] = {}
    peaks = {"frames": 0, "crops": 0, "audio_seconds": 0.0}
    for n in range(30 * 600):
        time = 0.5 + n / 30
        if n % 30 == 0:
            collector.add_audio(time, np.zeros(16000, np.float32))
        collector.add_frame(time, pictures[n % len(pictures)])
        if n % 6 == 0:  # 5 fps; track ids change every 20 s, a second face every other minute
            boxes = {n // 600: box}
            if (n // 1800) % 2:
                boxes[10_000 + n // 1800] = box + 150
            for track_id in boxes:
                given.setdefault(track_id, []).append(time)
            collector.add_boxes(time, boxes)
            for key, value in collector.buffered.items():
                peaks[key] = max(peaks[key], value)
    results = collector.finish()
    assert peaks["frames"] <= 20 and peaks["crops"] <= 2 * 2 * 100 and peaks["audio_seconds"] <= 10
    assert sorted(results) == sorted(given)
    for track_id, (times, scores) in results.items():
        np.testing.assert_array_equal(times, given[track_id])
        np.testing.assert_array_equal(scores, 0.0)  # silence: nobody speaks
    assert any("no voice" in note for note in collector.notes)
