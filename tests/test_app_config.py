"""The App's view of a speakerid dataset (speakerid.labels.app_config) on a real FiftyOne dataset."""

from __future__ import annotations


def test_internal_fields_go_to_a_collapsed_group_and_labels_are_coloured_by_person(dataset_name):
    import fiftyone as fo

    from speakerid.labels.app_config import INTERNAL_GROUP, configure_app

    ds = fo.Dataset(dataset_name)
    ds.media_type = "video"
    ds.add_sample_field("speakerid_pending", fo.DictField)
    ds.add_sample_field("speakerid_fingerprint", fo.StringField)
    ds.add_sample_field("face_track_embeddings", fo.ArrayField)
    ds.add_sample_field("speaker_segments", fo.EmbeddedDocumentField, embedded_doc_type=fo.TemporalDetections)
    assert configure_app(ds)
    ds = fo.load_dataset(dataset_name)  # as the App server reads it
    groups = {g.name: g for g in ds.app_config.sidebar_groups}
    internal = groups[INTERNAL_GROUP]
    assert set(internal.paths) == {"speakerid_pending", "speakerid_fingerprint", "face_track_embeddings"}
    assert internal.expanded is False and ds.app_config.sidebar_groups[-1].name == INTERNAL_GROUP
    shown = {p for name, g in groups.items() if name != INTERNAL_GROUP for p in g.paths}
    assert "speaker_segments" in shown and not shown & set(internal.paths)
    assert ds.app_config.color_scheme.color_by == "value"
    assert not configure_app(ds)  # nothing left to change

    ds.app_config.color_scheme.color_by = "field"  # the user's choice is kept
    ds.save()
    ds.add_sample_field("speakerid_error", fo.StringField)  # a field written later joins the group
    assert configure_app(ds)
    assert ds.app_config.color_scheme.color_by == "field"
    assert "speakerid_error" in ds.app_config.sidebar_groups[-1].paths
