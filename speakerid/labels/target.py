"""The dataset a run will write to, checked before the analysis: a name FiftyOne accepts and
that does not clash with another dataset's, and a dataset that can hold videos."""

from __future__ import annotations

from speakerid.errors import SpeakeridError


def check_target(name: str) -> None:
    """One-line error if ``speakerid annotate --dataset name`` could not write its results."""
    import fiftyone as fo
    from fiftyone.core.utils import to_slug

    try:
        slug = to_slug(name)
    except ValueError as exc:
        raise SpeakeridError(f"--dataset {name!r}: not a valid FiftyOne dataset name ({exc})") from None
    if fo.dataset_exists(name):
        media = fo.load_dataset(name).media_type
        if media not in (None, "video"):
            raise SpeakeridError(f"dataset {name!r} holds {media} samples, not videos: choose another --dataset")
        return
    for other in fo.list_datasets():
        if to_slug(other) == slug:
            raise SpeakeridError(
                f"--dataset {name!r} clashes with the existing dataset {other!r} (FiftyOne names must "
                f"differ once made URL-safe: both are {slug!r}): choose another name"
            )
