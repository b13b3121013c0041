"""Pure logic of active-speaker detection on small arrays: 25 fps grid, audio buffer, box
smoothing, synchrony measure, voice gate and synchrony rule."""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.asd.crops import median_geometry, smooth_geometry
from speakerid.asd.decide import LOSER_CAP, TrackScores, gate, synchrony_rule
from speakerid.asd.stream import AudioBuffer, FrameGrid
from speakerid.asd.sync import mouth_motion, synchrony, voice_envelope


def grid_of(fps: float, seconds: float, start: float = 0.21) -> list[tuple[int, float, int]]:
    """(grid index, grid time, source frame number) for a constant-rate stream."""
    grid, out = FrameGrid(), []
    for n in range(int(round(seconds * fps))):
        out += grid.push(start + n / fps, n)
    return out + grid.finish()


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 60.0])
def test_grid_takes_the_nearest_frame_at_25_fps(fps: float):
    got = grid_of(fps, 2.0)
    indices = [i for i, _, _ in got]
    assert indices == list(range(6, 6 + len(got)))  # k / 25 s from the first at or after 0.21
    assert len(got) == pytest.approx(2.0 * 25, abs=1)
    for i, t, frame in got:  # each grid instant shows the source frame nearest to it
        assert t == i / 25
        assert abs(0.21 + frame / fps - t) <= 0.5 / fps + 1e-9
    if fps == 25.0:  # each instant takes the frame 0.01 s after it: one for one
        assert [frame for _, _, frame in got] == list(range(1, 1 + len(got)))


def test_grid_ignores_repeated_timestamps_and_keeps_order():
    grid = FrameGrid()
    out = grid.push(1.0, "a") + grid.push(1.0, "dup") + grid.push(1.04, "b") + grid.push(1.02, "late")
    out += grid.push(1.08, "c") + grid.finish()
    assert [img for _, _, img in out] == ["a", "b", "c"]


def test_audio_buffer_fills_gaps_trims_overlaps_and_drops_old_samples():
    buf = AudioBuffer(rate=10)
    buf.append(2.0, np.ones(10, np.float32))  # 2.0 .. 3.0
    added = buf.append(3.5, np.full(5, 2, np.float32))  # a 0.5 s gap: 5 zeros first
    assert len(added) == 10 and added[:5].sum() == 0
    buf.append(3.8, np.full(5, 3, np.float32))  # overlaps 3.8 .. 4.0 by 2 samples
    assert buf.end_time == pytest.approx(4.3)
    np.testing.assert_array_equal(buf.slice(2.8, 15), [1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 3, 3, 3])
    np.testing.assert_array_equal(buf.slice(1.8, 4), [0, 0, 1, 1])  # before the first chunk
    buf.drop_before(3.6)
    np.testing.assert_array_equal(buf.slice(3.4, 4), [0, 0, 2, 2])  # dropped reads as silence
    assert buf.slice(4.2, 3).tolist() == [3, 0, 0]


def test_box_median_uses_a_time_window_and_shrinks_at_track_ends():
    times = np.arange(0, 1.0, 0.2)  # 5 fps keyframes
    geometry = np.array([[0, 0, 10], [0, 0, 10], [100, 0, 10], [0, 0, 10], [4, 0, 10]], float)
    smoothed = smooth_geometry(times, geometry)
    assert smoothed[2, 0] == 0  # the one-keyframe jump is removed
    assert smoothed[0, 0] == 0 and smoothed[4, 0] == 2  # ends: median of the 2 keyframes there
    dense = np.arange(0, 1.0, 0.04)  # 25 fps: +-0.24 s is the reference's 13-frame filter
    assert np.isclose(dense, 0.48).sum() == 1
    window = np.abs(dense - 0.48) <= 0.24 + 1e-6
    assert window.sum() == 13
    values = np.stack([dense * 0, dense * 0, np.arange(len(dense))], 1).astype(float)
    assert median_geometry(dense, values, 0.48)[2] == 12


def talking_crops(envelope: np.ndarray, seed: int = 0) -> np.ndarray:
    """Crops whose mouth articulates (opens by a random amount each frame) while ``envelope``
    is on and rests closed while it is off; the rest of the face is still."""
    rng = np.random.default_rng(seed)
    base = rng.integers(90, 160, (112, 112)).astype(np.float32)
    crops = np.repeat(base[None], len(envelope), axis=0)
    opening = envelope * rng.uniform(20, 80, len(envelope))
    crops[:, 62:90, 40:72] -= opening[:, None, None]
    return np.clip(crops, 0, 255).astype(np.uint8)


def voice_from(envelope: np.ndarray, seed: int = 1) -> np.ndarray:
    """16 kHz noise amplitude-modulated by a per-frame (25 fps) envelope."""
    rng = np.random.default_rng(seed)
    gain = np.repeat(0.02 + envelope, 640)
    return (rng.standard_normal(len(gain)) * 0.1 * gain).astype(np.float32)


def syllables(frames: int, seed: int) -> np.ndarray:
    """A random 2-7 Hz on/off pattern, as syllables are."""
    rng = np.random.default_rng(seed)
    out, t = np.zeros(frames), 0
    while t < frames:
        on, off = rng.integers(2, 7), rng.integers(2, 7)
        out[t : t + on] = 1.0
        t += on + off
    return out


def test_synchrony_is_high_for_the_mouth_that_makes_the_voice():
    """Over 4 s windows the measure is noisy (docs: +-0.1 on unrelated signals), so compare
    averages over several talkers; each window alone still ranks its own voice first mostly."""
    own, other, late = [], [], []
    for seed in range(10):
        pattern = syllables(100, seed)
        crops = talking_crops(pattern, seed)
        own.append(synchrony(crops, voice_from(pattern, seed + 100)))
        other.append(synchrony(crops, voice_from(syllables(100, seed + 1000), seed)))
        late.append(synchrony(crops, voice_from(np.roll(pattern, 12), seed)))  # 0.48 s late
    assert np.mean(own) > 0.35
    assert np.mean(own) > np.mean(other) + 0.2 and np.mean(own) > np.mean(late) + 0.15
    assert np.mean(np.array(own) > np.array(other)) >= 0.8


def test_synchrony_is_undefined_without_sound_motion_or_length():
    pattern = syllables(100, seed=3)
    crops = talking_crops(pattern)
    assert mouth_motion(crops).shape == (100,)
    assert voice_envelope(voice_from(pattern), 100).shape == (100,)
    assert np.isnan(synchrony(crops, np.zeros(100 * 640, np.float32)))  # digital silence
    assert np.isnan(synchrony(crops[:20], voice_from(pattern[:20])))  # under 1.5 s
    still = np.repeat(crops[:1], 100, axis=0)
    assert np.isnan(synchrony(still, voice_from(pattern)))  # a photo does not talk


def track(times, asd, sync, voice=1.0) -> TrackScores:
    times = np.asarray(times, float)
    return TrackScores(times, np.asarray(asd, float), np.asarray(sync, float), np.full(len(times), voice, float))


def test_voice_gate_zeroes_scores_where_no_voice_is_heard():
    t = track([0, 1, 2], [0.9, 0.8, np.nan], [0.1, 0.1, 0.1])
    t.voice[:] = [0.9, 0.2, 0.1]
    np.testing.assert_array_equal(gate(t), [0.9, 0.0, np.nan])


def test_synchrony_rule_keeps_one_speaker_among_faces_judged_talking():
    a = track([0.0, 0.2, 0.4, 0.6], [0.9, 0.9, 0.9, 0.3], [0.1, 0.1, 0.1, 0.1])
    b = track([0.1, 0.3, 0.5], [0.8, 0.4, 0.8], [0.5, 0.5, np.nan])  # better synchrony
    c = track([5.0, 5.2], [0.9, 0.9], [0.0, 0.0])  # alone on screen later
    scores = synchrony_rule([a, b, c], [a.asd, b.asd, c.asd], threshold=0.5)
    cap = LOSER_CAP * 0.5
    # at 0.2 b (interpolated: 0.6, synchrony 0.5) beats a; at 0.4 b's synchrony is unknown
    # (NaN counts lowest); at 0 and 0.6 b is not on screen
    np.testing.assert_allclose(scores[0], [0.9, cap, 0.9, 0.3])
    # b wins on synchrony at 0.1, is below the threshold anyway at 0.3, loses at 0.5 (NaN)
    np.testing.assert_allclose(scores[1], [0.8, 0.4, cap])
    np.testing.assert_allclose(scores[2], c.asd)  # nobody else visible: untouched
    np.testing.assert_allclose(a.asd, [0.9, 0.9, 0.9, 0.3])  # inputs are not modified


def test_synchrony_rule_never_makes_a_silent_face_speak():
    quiet = track([0, 1], [0.2, 0.3], [0.9, 0.9])
    talker = track([0, 1], [0.7, 0.8], [0.0, 0.0])
    scores = synchrony_rule([quiet, talker], [quiet.asd, talker.asd], threshold=0.5)
    np.testing.assert_allclose(scores[0], quiet.asd)
    np.testing.assert_allclose(scores[1], talker.asd)


def test_active_mode_speaker_is_the_talking_face_even_when_unknown():
    from speakerid.results import UNKNOWN, FaceResult
    from speakerid.timeline.speaker import pick_speaker

    host = FaceResult((0.1, 0.1, 0.5, 0.6), "obama", 0.9, 0.7, track=1, speaking=0.1)
    guest = FaceResult((0.7, 0.2, 0.1, 0.15), UNKNOWN, 0.8, 0.2, track=2, speaking=0.9)
    assert pick_speaker([host, guest], speaking_threshold=0.5) == (UNKNOWN, 0.8)
    guest.speaking = 0.0  # nobody talking (no voice): the dominant identified face
    assert pick_speaker([host, guest], speaking_threshold=0.5) == ("obama", 0.9)
    assert pick_speaker([host, guest]) == ("obama", 0.9)  # dominant mode ignores speaking


def test_speaking_scores_land_on_their_own_face_rows_by_nearest_time():
    """A track's scores reach the rows of that track at the same analysed frame, even when a
    time went through float32 on the way; a score at a time no row has is dropped."""
    from speakerid.results import FaceTable

    table, fps = FaceTable(), 29.97
    for n in range(4):  # frame 2 has nobody; tracks 7 and 3 share frames 0, 1 and 3
        table.add_frame(n * 6, n * 6 / fps)
        for track in [] if n == 2 else [7, 3]:
            table.add_face(track, (0.1, 0.1, 0.2, 0.2), 0.9)
    times = np.array([0, 6, 18]) / fps
    scores = {
        7: (times.astype(np.float32).astype(np.float64), np.array([0.9, 0.8, 0.7])),
        3: (np.array([6 / fps, 1.0]), np.array([0.2, 0.5])),  # 1.0 s is no analysed frame
        99: (times, np.ones(3)),  # a track with no rows
    }
    assert table.put_speaking(scores) == 4
    got = np.array(table.face_speaking, np.float64)
    np.testing.assert_allclose(got[[0, 2, 4]], [0.9, 0.8, 0.7], rtol=1e-6)  # track 7's rows
    assert got[3] == pytest.approx(0.2) and np.isnan(got[[1, 5]]).all()  # track 3: one score matched
    table.add_frame(30, 30 / fps)  # the table stays appendable afterwards
