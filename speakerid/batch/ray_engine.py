"""Ray engine: a pool of actors (models loaded once each) runs one task per video.

The gallery travels once through the object store (``ray.put``); workers read the media
from the sample's ``filepath``, so every node must see the same paths (docs/batch.md).
Results come back to the driver, which alone writes to FiftyOne.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from speakerid.batch.work import Outcome, WorkItem, label_one, worker_settings
from speakerid.errors import SpeakeridError
from speakerid.pipeline import models_for

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery
    from speakerid.pipeline import AnnotateSettings

CPUS_PER_ACTOR = 1


class Labeller:
    """A Ray actor body: one per worker slot, holding the models for the whole job."""

    def __init__(self, gallery: Gallery, settings: AnnotateSettings) -> None:
        self.gallery, self.settings = gallery, worker_settings(settings, CPUS_PER_ACTOR)
        models_for(self.settings)

    def label(self, item: WorkItem) -> Outcome:
        out = label_one(item, self.gallery, self.settings)
        if out.error and not os.path.exists(item.filepath):
            out.error += f" (not reachable from the Ray worker on {socket.gethostname()}: see docs/batch.md)"
        return out


def run_ray(
    items: Iterable[WorkItem],
    gallery: Gallery,
    settings: AnnotateSettings,
    workers: int | None = None,
    address: str | None = None,
) -> Iterator[Outcome]:
    """Outcomes of ``items`` (completion order) from ``workers`` actors (default: one per cluster CPU).

    Uses the Ray session already initialised in this process if any; otherwise connects to
    ``address`` ("auto", "ray://host:port", or None to start a local instance) and shuts down after.
    """
    import ray
    from ray.util import ActorPool

    started = not ray.is_initialized()
    if started:
        extra = {"include_dashboard": False} if address is None else {}
        ray.init(address=address, log_to_driver=False, **extra)
    actors = []
    try:
        n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // CPUS_PER_ACTOR)
        gallery_ref = ray.put(gallery)
        actor_cls = ray.remote(num_cpus=CPUS_PER_ACTOR)(Labeller)
        actors = [actor_cls.remote(gallery_ref, settings) for _ in range(n)]
        pool = ActorPool(actors)
        try:
            yield from pool.map_unordered(lambda actor, item: actor.label.remote(item), list(items))
        except ray.exceptions.RayActorError as exc:
            raise SpeakeridError(f"a Ray worker died ({_first_line(exc)}); rerun to resume the job") from None
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
