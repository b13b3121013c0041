"""How a speakerid dataset looks in the App: bookkeeping fields out of the way, one colour per person.

The sidebar lists every field; speakerid's bookkeeping (batch markers, the run record, track
embeddings) is not something to filter by, so it goes to a collapsed group at the end. Boxes
are coloured by label value, so a person keeps one colour on analysed frames (``faces``) and on
the frames between them (``faces_between``), and from video to video. A colour scheme or
sidebar a user set is kept (only speakerid's own fields are moved).
"""

from __future__ import annotations

from typing import Any

from speakerid.labels.fiftyone_writer import RUN, TRACK_EMBEDDINGS

INTERNAL_GROUP = "speakerid internals"
# batch markers (speakerid.batch.commit, speakerid.labels.replace), the run record, embeddings
INTERNAL_FIELDS = ("speakerid_pending", "speakerid_fingerprint", "speakerid_error", RUN, TRACK_EMBEDDINGS)


def configure_app(dataset: Any) -> bool:
    """Put speakerid's internal fields of ``dataset`` in a collapsed sidebar group and colour
    labels by value unless a colour scheme is set; returns whether anything changed."""
    import fiftyone as fo

    config = dataset.app_config
    changed = False
    internal = [f for f in INTERNAL_FIELDS if f in dataset.get_field_schema()]
    groups = config.sidebar_groups or fo.DatasetAppConfig.default_sidebar_groups(dataset)
    wanted = _with_internal_group(groups, internal)
    if internal and _layout(wanted) != _layout(config.sidebar_groups or []):
        config.sidebar_groups, changed = wanted, True
    if config.color_scheme is None or config.color_scheme.color_by is None:
        scheme = config.color_scheme or fo.ColorScheme()
        scheme.color_by = "value"
        config.color_scheme, changed = scheme, True
    if changed:
        dataset.save()
    return changed


def _with_internal_group(groups: list[Any], internal: list[str]) -> list[Any]:
    """``groups`` with ``internal`` paths moved into one collapsed group at the end."""
    import fiftyone as fo

    out = [
        fo.SidebarGroupDocument(name=g.name, paths=[p for p in g.paths if p not in internal], expanded=g.expanded)
        for g in groups
        if g.name != INTERNAL_GROUP
    ]
    return out + [fo.SidebarGroupDocument(name=INTERNAL_GROUP, paths=internal, expanded=False)]


def _layout(groups: list[Any]) -> list[tuple]:
    return [(g.name, tuple(g.paths), g.expanded) for g in groups]
