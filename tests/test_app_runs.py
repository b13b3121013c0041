"""Scheduled (delegated) runs from the App: **Schedule** is offered and the run completes.

With ``speakerid app`` (``app_harness``) and nothing else: no ``allow_legacy_orchestrators`` in a
config, no ``speakerid plugin install``, no ``fiftyone delegated launch``. The user picks
**Schedule** in the **Annotate speakers** form; speakerid's worker finds the plugin and runs it,
and the run's progress ends with its summary. Any plugin error fails the test.
"""

from __future__ import annotations

import pytest
from app_harness import *  # noqa: F403 - the fixtures
from app_pages import open_dataset, run_grid_action, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.app]


def test_schedule_is_offered_and_speakerids_worker_runs_it(app_dataset, app_server, page, shots):
    from fiftyone.operators.delegated import DelegatedOperationService

    service = DelegatedOperationService()
    before = {str(op.id) for op in service.list_operations(dataset_name=app_dataset.name)}
    open_dataset(page, app_server, app_dataset.name)
    run_grid_action(page, "Annotate speakers")
    execute = page.get_by_role("button", name="Execute")
    execute.wait_for()
    execute.locator("xpath=following-sibling::button[1]").click()  # the run-mode menu
    page.get_by_text("Schedule", exact=True).click()  # today: "NOT AVAILABLE"
    page.get_by_role("button", name="Schedule", exact=True).click()

    def finished():
        ops = [op for op in service.list_operations(dataset_name=app_dataset.name) if str(op.id) not in before]
        return ops and ops[0].run_state in ("completed", "failed") and ops[0]

    op = wait_until(finished, "the scheduled run to be executed by speakerid's worker", 600)
    page.screenshot(path=str(shots / "scheduled.png"))
    assert op.operator == "@speakerid/speakerid/annotate_videos"
    assert op.run_state == "completed", op.run_state
    assert "already up to date" in op.status.label and op.status.progress == 1.0
