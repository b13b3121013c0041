"""``speakerid flush``: write the results kept while the FiftyOne database was unreachable."""

from __future__ import annotations

import argparse

from speakerid.errors import SpeakeridError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flush",
        help="write results kept in the spool while the database was unreachable",
        description="When the FiftyOne database fails at write time, `annotate` and `label` "
        "keep the finished results in a spool; this writes them (the next "
        "`annotate`/`label` on the dataset does it too).",
    )
    p.add_argument("--dataset", required=True, help="dataset whose spooled results to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.cli.common import warn
    from speakerid.labels import spool
    from speakerid.labels.database import check_database
    from speakerid.labels.fiftyone_writer import get_or_create_dataset

    waiting = spool.spooled(args.dataset)
    if not waiting:
        print(f"nothing spooled for dataset {args.dataset!r} (in {spool.spool_dir(args.dataset)})")
        return 0
    check_database()
    written = spool.flush(get_or_create_dataset(args.dataset), warn)
    print(f"wrote {written} spooled result(s) to dataset {args.dataset!r}")
    if spool.spooled(args.dataset):
        raise SpeakeridError(f"{len(spool.spooled(args.dataset))} result(s) still in {spool.spool_dir(args.dataset)}")
    return 0
