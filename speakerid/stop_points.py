"""Named moments where a test can freeze this process, to stall or kill it at an exact step.

``SPEAKERID_STOP_AT=name[,name...]`` makes the process stop itself (SIGSTOP) each time it reaches
one of those points, exactly like a machine that swaps it out; the test then resumes it (SIGCONT)
or kills it. Without the variable (always, outside tests) a stop point does nothing. This is how
the reliability tests reach the instant between two database updates, which no timer can hit.
"""

from __future__ import annotations

import os
import signal

STOP_AT_ENV = "SPEAKERID_STOP_AT"


def stop_point(name: str) -> None:
    """Stop here if ``$SPEAKERID_STOP_AT`` names ``name``."""
    wanted = os.environ.get(STOP_AT_ENV)
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGSTOP)
