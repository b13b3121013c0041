"""``open_face`` (unlisted): open a face patch in the modal the way a click on its tile does.

The faces map shows the faces grid and then asks for this. FiftyOne's ``open_sample`` operator
opens the modal with the sidebar and settings of the view the page was loaded on (the videos): the
face's own label was missing ("No fields" under LABELS) and its box not drawn. The App server's
``setSample`` event (``fiftyone_private.open_in_app``) makes the App copy the faces grid's settings
first, as a tile click does. Nothing happens if the App's view no longer holds the face.
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.fiftyone_private import open_in_app


class OpenFace(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(name="open_face", label="speakerid: open a face", unlisted=True)

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        inputs.str("face_id", required=True)
        return types.Property(inputs)

    async def execute(self, ctx) -> dict:
        face = ctx.params["face_id"]
        if not ctx.view.select(face).count():  # the user moved on
            return {"opened": None}
        await open_in_app(face)
        return {"opened": face}
