"""Video2Vec end to end on clips of the real sample videos: train, embed, index, search, zero-shot.

Features are cached in a per-module temporary cache, so the CNN streams run once per window for
the whole module; the FiftyOne model zoo folder is redirected to a temporary folder too.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from video_data import SEGMENTS, build_dataset

from speakerid.cli.main import main

TRAIN_ARGS = [
    "--label-field",
    "speaker_segments",
    "--window",
    "0.5",
    "--fps",
    "10",
    "--size",
    "112",
    "--split-by",
    "window",
    "--seed",
    "0",
    "--hidden",
    "256",
    "--mlp-hidden",
    "256",
    "--quiet",
]


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    """Own feature cache and zoo folder; one torch thread (the CI box has 2 shared cores)."""
    import fiftyone as fo

    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPEAKERID_CACHE", str(tmp_path_factory.mktemp("sid-cache")))
        mp.setattr(fo.config, "model_zoo_dir", str(tmp_path_factory.mktemp("zoo")))
        torch.set_num_threads(1)
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def clips_dataset(shared_data):
    """Half-second speaker clips of both sample videos (deleted afterwards)."""
    import fiftyone as fo

    name = f"test-v2v-{uuid.uuid4().hex[:8]}"
    dataset = build_dataset(name, shared_data / "videos")
    yield dataset
    if fo.dataset_exists(name):
        fo.delete_dataset(name)


@pytest.fixture(scope="module")
def trained(clips_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("v2v") / "run"
    code = main(["train-video", "--dataset", clips_dataset.name, "--epochs", "25", "--out", str(out), *TRAIN_ARGS])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def embedded(clips_dataset, trained) -> Path:
    assert main(["embed-videos", "--dataset", clips_dataset.name, "--model", str(trained), "--quiet"]) == 0
    return trained


def test_pytorchvideo_imports_with_current_torchvision():
    from speakerid.video.pytorchvideo_compat import pytorchvideo_module

    aug = pytorchvideo_module("transforms.augmentations")  # imports functional_tensor
    assert hasattr(aug, "AugmentTransform")


def test_windows_do_not_overlap_and_split_keeps_them_apart(hamilton):
    from speakerid.video.clips import Span, split_clips, window_clips

    spans = [
        Span(str(hamilton), lab, a + 1, b + 1, "s", f"c{i}")
        for i, ((vid, a, b), lab) in enumerate(SEGMENTS.items())
        if vid == hamilton.name
    ]
    clips = window_clips(spans, window_s=0.5)
    for span in spans:
        mine = sorted((c.first, c.last) for c in clips if c.clip_id == span.clip_id)
        assert mine[0][0] == span.first and mine[-1][1] <= span.last
        assert all(b < c for (_, b), (c, _) in zip(mine, mine[1:]))  # disjoint, in order
        assert all(14 <= b - a + 1 <= 16 for a, b in mine)  # 0.5 s at 29.97 fps
    train, val = split_clips(clips, 0.25, by="window", seed=0)
    assert set(train).isdisjoint(val) and len(train) + len(val) == len(clips)
    assert {clips[i].label for i in val} == {c.label for c in clips}
    with pytest.raises(Exception, match="only 1 group"):
        split_clips(clips, 0.25, by="video")


def test_window_frames_are_the_decoded_frames_at_their_indices(hamilton):
    """Decode-index matching survives the stream's 0.85 s start PTS."""
    from speakerid.io import read_frames
    from speakerid.video.clip_frames import iter_clip_frames, shrink
    from speakerid.video.clips import ClipSpec

    clip = ClipSpec(str(hamilton), "obama", 212, 221, "s", None, 0)
    [(got_clip, frames)] = list(iter_clip_frames(str(hamilton), [clip], None, 64))
    assert got_clip == clip and frames.shape == (10, 64, 64, 3)
    direct = [b.frames[(b.indices >= 211) & (b.indices <= 220)] for b in read_frames(str(hamilton), fps=None)]
    np.testing.assert_array_equal(frames, shrink(np.concatenate(direct), 64))


@pytest.mark.slow
def test_flow_stream_starts_from_averaged_rgb_filters_and_sees_motion(hamilton):
    from speakerid.io import read_frames
    from speakerid.video.clip_frames import shrink
    from speakerid.video.flow import FLOW_BOUND, farneback_flow
    from speakerid.video.streams import StreamCNN
    from speakerid.weights import load_mobilenet_v2

    rgb_w = load_mobilenet_v2().features[0][0].weight
    flow_w = StreamCNN(2).features[0][0].weight
    assert flow_w.shape[1] == 2
    torch.testing.assert_close(flow_w[:, 0], rgb_w.mean(dim=1))
    torch.testing.assert_close(flow_w[:, 1], rgb_w.mean(dim=1))

    frame = shrink(next(iter(read_frames(str(hamilton), fps=1.0))).frames[:1], 112)[0]
    moved = np.roll(frame, 3, axis=1)  # content moves 3 px right
    flow = farneback_flow(np.stack([frame, moved]))
    dx = np.median(flow[0, 0, 20:-20, 20:-20]) * FLOW_BOUND
    assert 2.0 < dx < 4.0 and flow.shape == (2, 2, 112, 112)
    np.testing.assert_array_equal(flow[1], flow[0])


@pytest.mark.slow
def test_features_come_from_disk_cache_the_second_time(hamilton, tmp_path):
    from speakerid.video.clips import ClipSpec
    from speakerid.video.features import FeatureSettings, FeatureStore

    clips = [ClipSpec(str(hamilton), None, a, a + 9, "s", None, i) for i, a in enumerate((100, 110))]
    settings = FeatureSettings(fps=10.0, size=64)
    first = FeatureStore(settings, tmp_path).get_many(clips)
    again = FeatureStore(settings, tmp_path)
    second = again.get_many(clips)
    assert again._extractor is None  # nothing decoded or run: all from disk
    for a, b in zip(first, second):
        assert len(a) in (3, 4) and a.rgb.shape[1] == a.flow.shape[1] == 1280  # 10 of 29.97 fps
        np.testing.assert_array_equal(a.rgb, b.rgb)
    other = FeatureStore(FeatureSettings(fps=10.0, size=96), tmp_path)
    assert other.key(clips[0]) != again.key(clips[0])


@pytest.mark.slow
def test_training_loss_falls_and_val_accuracy_beats_chance(trained, clips_dataset):
    metrics = json.loads((trained / "metrics.json").read_text())
    hist = metrics["history"]
    assert hist[-1]["train_loss"] < 0.5 * hist[0]["train_loss"]
    val = metrics["val"]
    assert val["n_clips"] >= 4
    assert val["accuracy"] > max(val["chance_accuracy"], val["majority_accuracy"])
    assert val["retrieval"]["mAP"] > val["retrieval"]["chance_mAP"]
    for name in ("model.safetensors", "config.json"):
        assert (trained / "best" / name).is_file()
    run = clips_dataset.load_run_results("video2vec_eval")
    assert run.val["accuracy"] == val["accuracy"]


@pytest.mark.slow
def test_resumed_training_matches_uninterrupted(clips_dataset, trained, tmp_path):
    from safetensors.torch import load_file

    args = [*TRAIN_ARGS, "--dataset", clips_dataset.name, "--hidden", "64", "--mlp-hidden", "64"]
    assert main(["train-video", "--epochs", "4", "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["train-video", "--epochs", "2", "--out", str(tmp_path / "b"), *args]) == 0
    assert main(["train-video", "--epochs", "4", "--out", str(tmp_path / "b"), "--resume", *args]) == 0
    a = load_file(str(tmp_path / "a" / "last" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "last" / "model.safetensors"))
    for key in a:
        torch.testing.assert_close(a[key], b[key])
    hist = json.loads((tmp_path / "b" / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in hist] == [1, 2, 3, 4]


@pytest.mark.slow
def test_embed_videos_stores_embeddings_and_a_text_searchable_index(embedded, clips_dataset):
    import fiftyone.zoo as foz

    from speakerid.video.zoo import ZOO_MODEL_NAME

    ds = clips_dataset
    assert all(v is not None and v.shape == (384,) for v in ds.values("video2vec"))
    clip_embs = [e for es in ds.values("speaker_segments.detections.video2vec") for e in es]
    assert len(clip_embs) == 24 and all(abs(np.linalg.norm(e) - 1) < 1e-4 for e in clip_embs)
    info = ds.get_brain_info("video2vec_clips")
    assert info.config.model == ZOO_MODEL_NAME and info.config.supports_prompts
    results = ds.load_brain_results("video2vec_clips")
    assert results.get_model() is not None  # reloaded by name, as the App does
    model = foz.load_zoo_model(ZOO_MODEL_NAME)
    assert model.can_embed_prompts and model.embed_prompts(["obama"]).shape == (1, 384)
    video_model = foz.load_zoo_model(ZOO_MODEL_NAME, checkpoint=str(embedded))
    sample = ds.first()
    np.testing.assert_allclose(video_model.embed(sample.filepath), sample["video2vec"], atol=1e-5)
    assert video_model.predict(sample.filepath).label in {"alex_lacamoire", "lin_manuel_miranda", "obama", "crowd"}
    top = ds.to_clips("speaker_segments").sort_by_similarity("obama", k=3, brain_key="video2vec_clips")
    assert top.values("speaker_segments.label") == ["obama"] * 3


@pytest.mark.slow
@pytest.mark.parametrize("query,label", [("Obama", "obama"), ("Lin-Manuel Miranda", "lin_manuel_miranda")])
def test_search_finds_the_queried_speaker_in_top_3(embedded, clips_dataset, query, label, capsys):
    from speakerid.video.search import text_search

    view = f"v2v_{label}"
    assert main(["search", query, "--dataset", clips_dataset.name, "-k", "3", "--save-view", view]) == 0
    assert "rank" in capsys.readouterr().out
    saved = clips_dataset.load_saved_view(view)
    assert saved.values("speaker_segments.label")[0] == label
    # the video model alone (no speaker names) must also rank the speaker's clips first
    hits, _ = text_search(clips_dataset, query, k=3, kinds=("video2vec",))
    assert [h.names for h in hits] == [[label]] * 3


@pytest.mark.slow
def test_names_alone_find_identified_speakers_without_a_video_model(shared_data):
    import fiftyone as fo

    from speakerid.video.search import text_search

    name = f"test-v2v-{uuid.uuid4().hex[:8]}"
    try:
        ds = build_dataset(name, shared_data / "videos", pieces=False)
        hits, items = text_search(ds, "Obama", k=2, level="samples")
        assert items.level == "samples" and np.isnan(items.video).all() and np.isnan(items.concepts).all()
        assert Path(hits[0].filepath).name == "short_hamilton_clip.mp4"
        assert hits[0].of("name").raw > 0.8 and hits[0].exact_name
        assert hits[1].names == ["crowd"] and hits[1].score < 0.5  # another name: no match
    finally:
        fo.delete_dataset(name)


def test_sample_level_classifications_are_whole_video_spans(shared_data):
    import fiftyone as fo

    from speakerid.video.clips import labelled_spans, num_frames

    name = f"test-v2v-{uuid.uuid4().hex[:8]}"
    try:
        ds = build_dataset(name, shared_data / "videos", pieces=False)
        ds.set_values("scene", [fo.Classification(label="stage"), None])
        [span] = labelled_spans(ds, "scene")
        assert (span.label, span.first, span.last) == ("stage", 1, num_frames(span.path))
        assert len(labelled_spans(ds, "speaker_segments")) == 4
    finally:
        fo.delete_dataset(name)


@pytest.mark.slow
def test_zero_shot_label_is_never_trained_and_is_evaluated(clips_dataset, trained, tmp_path):
    from speakerid.video.model import load_checkpoint

    out = tmp_path / "zs"
    assert (
        main(
            [
                "train-video",
                "--dataset",
                clips_dataset.name,
                "--epochs",
                "15",
                "--out",
                str(out),
                "--holdout",
                "obama",
                "--margin",
                "0.4",
                *TRAIN_ARGS,
            ]
        )
        == 0
    )
    _, meta = load_checkpoint(out)
    assert "obama" not in meta.labels and len(meta.labels) == 3
    metrics = json.loads((out / "metrics.json").read_text())
    zs = metrics["zero_shot"]
    assert zs["unseen_labels"] == ["obama"] and zs["n_unseen_clips"] == 4
    # evaluated on the right pool: the 4 never-seen clips among them and the trained labels' val clips
    ret = zs["retrieval"]
    assert ret["pool_size"] == metrics["n_val"] + 4 and ret["per_label"]["obama"]["n_relevant"] == 4
    assert ret["chance_mAP"] == pytest.approx(4 / ret["pool_size"])
    assert ret["mAP"] == ret["per_label"]["obama"]["ap"] >= ret["recall@1"]  # a hit at rank 1 adds 1/4
    assert ret["recall@1"] <= ret["recall@3"] <= ret["recall@5"]


def test_bad_inputs_fail_with_one_line(clips_dataset, tmp_path, capsys):
    assert main(["train-video", "--dataset", f"missing-{uuid.uuid4().hex}", "--label-field", "x"]) == 2
    assert (
        main(["train-video", "--dataset", clips_dataset.name, "--label-field", "speakers", "--out", str(tmp_path)]) == 2
    )
    assert main(["embed-videos", "--dataset", clips_dataset.name, "--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("speakerid: error:") for line in err)
    assert "speakers" in err[1] and "Classifications" in err[1]
