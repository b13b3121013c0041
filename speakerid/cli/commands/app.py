"""``speakerid app``: open the FiftyOne App on a dataset, bound to 127.0.0.1 by default."""

from __future__ import annotations

import argparse

from speakerid.errors import SpeakeridError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="open the FiftyOne App on a dataset")
    p.add_argument("--dataset", default="speakerid", help="dataset to open (default: speakerid)")
    p.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5151)
    p.add_argument("--no-wait", action="store_true", help="return once the App server is up (for scripts)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import fiftyone as fo

    if not fo.dataset_exists(args.dataset):
        raise SpeakeridError(f"no FiftyOne dataset named {args.dataset!r}; create it with `speakerid annotate ... --dataset {args.dataset}`")
    session = fo.launch_app(fo.load_dataset(args.dataset), address=args.address, port=args.port, remote=True)
    print(f"FiftyOne App: http://{args.address}:{args.port}/ (Ctrl-C to stop)")
    if not args.no_wait:
        session.wait(-1)
    return 0
