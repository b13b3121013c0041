"""``open_clip`` (unlisted): open one clip in the modal once the App shows the clips view holding it.

A timeline click sets a clips view and then triggers this operator. The App runs our request with
the view it shows at that moment: opening the clip before the new view has landed would look its id
up in the previous view (the App's "sample not found" page). So the operator opens the clip only
when the view it is given holds it, and otherwise asks again a moment later, a bounded number of
times. Nothing is left behind when the user moved on: a request whose view never came is dropped.
"""

from __future__ import annotations

import time

import fiftyone.operators as foo
import fiftyone.operators.types as types

TRIES = 40  # about 10 s of asking: a loaded 2-core machine sets a clips view in 1-3 s
PAUSE_S = 0.25


class OpenClip(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(name="open_clip", label="speakerid: open a clip", unlisted=True)

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        inputs.str("clip_id", required=True)
        inputs.int("tries", default=0)
        return types.Property(inputs)

    def execute(self, ctx) -> dict:
        clip, tries = ctx.params["clip_id"], int(ctx.params.get("tries") or 0)
        if ctx.view.select(clip).count():  # the App's view holds the clip now
            ctx.ops.open_sample(id=clip)
            return {"opened": clip, "tries": tries}
        if tries < TRIES:
            time.sleep(PAUSE_S)
            ctx.trigger(self.uri, params={"clip_id": clip, "tries": tries + 1})
        return {"opened": None, "tries": tries}
