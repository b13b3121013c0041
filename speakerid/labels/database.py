"""The FiftyOne database as speakerid meets it: checked before the work, failures told apart,
and FiftyOne's log chatter that is not ours kept off the user's terminal."""

from __future__ import annotations

import logging
import re

from speakerid.errors import DatabaseError

CHECK_TIMEOUT_S = 5.0
# FiftyOne log records that are noise for a speakerid user: (logger, start of the message).
_NOISE = (
    ("fiftyone.core.odm.database", "You are running the oldest supported major version of MongoDB"),
    ("fiftyone.core.session.session", "You have launched a remote App"),
    ("fiftyone.core.session.session", "\n\n███"),  # the first-run welcome banner
)


def check_database(timeout_s: float = CHECK_TIMEOUT_S) -> None:
    """Connect to FiftyOne's database now, so an unreachable one fails in seconds, before the
    analysis, with one line that says what to do (instead of a traceback after the work)."""
    import fiftyone as fo

    uri = fo.config.database_uri
    if uri:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client = MongoClient(uri, serverSelectionTimeoutMS=int(timeout_s * 1000))
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            raise DatabaseError(
                f"FiftyOne database {redact(uri)} unreachable ({_first_line(exc)}): start it or fix "
                f"FIFTYONE_DATABASE_URI (`--no-dataset --json FILE` works without it)"
            ) from None
        finally:
            client.close()
    try:
        fo.list_datasets()
    except Exception as exc:  # noqa: BLE001 - the embedded database failed to start, or similar
        where = redact(uri) if uri else "(embedded)"
        raise DatabaseError(f"FiftyOne database {where} unusable: {type(exc).__name__}: {_first_line(exc)}") from None


def is_database_failure(exc: BaseException) -> bool:
    """True for a lost or refused connection (worth keeping the results and retrying later)."""
    from pymongo.errors import ConnectionFailure

    return isinstance(exc, (ConnectionFailure, ConnectionError))


def redact(uri: str) -> str:
    """A database URI without its password, fit for messages."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", uri)


def quiet_fiftyone_logs() -> None:
    """Drop FiftyOne's log records listed in ``_NOISE`` (everything else still shows)."""
    for name, start in _NOISE:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) and f.start == start for f in logger.filters):
            logger.addFilter(_Drop(start))


class _Drop(logging.Filter):
    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
