"""``speakerid app``: open the FiftyOne App on a dataset, bound to 127.0.0.1 by default.

The App gets speakerid's plugin (operators + Speakers panel, shipped in the package) without any
install step: it loads plugins from a directory holding the user's plugins plus ours
(speakerid.plugin_install). Scheduling is enabled and scheduled speakerid runs on the dataset are
executed by a worker thread here (speakerid.delegated_worker), which finds the same plugin.
"""

from __future__ import annotations

import argparse
import threading

from speakerid.errors import SpeakeridError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="open the FiftyOne App on a dataset")
    p.add_argument("--dataset", default="speakerid", help="dataset to open (default: speakerid)")
    p.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5151)
    p.add_argument("--gallery", default=None, help="gallery (.sid) the plugin's forms and Speakers panel start with")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="start the App server in the background, return once it answers (for scripts; prints its pid)",
    )
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run scheduled (delegated) speakerid operations here (default: a worker runs them)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.no_wait:  # this process's exit would stop FiftyOne's server: a detached one serves instead
        return _detached(args)
    import os

    import fiftyone as fo

    from speakerid import plugin_install
    from speakerid.labels.app_config import configure_app
    from speakerid.labels.database import check_database
    from speakerid.labels.replace import finish_pending

    check_database()
    if not fo.dataset_exists(args.dataset):
        raise SpeakeridError(
            f"no FiftyOne dataset named {args.dataset!r}; "
            f"create it with `speakerid annotate ... --dataset {args.dataset}`"
        )
    plugin_install.use_plugins_dir(plugin_install.app_plugins_dir())
    worker = not args.no_worker
    if worker:
        from speakerid.delegated_worker import enable_scheduling

        enable_scheduling()  # before the App server starts: it decides whether to offer Schedule
    if args.gallery:
        from speakerid.identity.gallery import Gallery

        Gallery.load(args.gallery)  # a damaged gallery is one line now, not an error in the App later
        os.environ["SPEAKERID_GALLERY"] = os.path.abspath(args.gallery)
    dataset = fo.load_dataset(args.dataset)
    finish_pending(dataset)  # a write killed mid-swap is completed before anyone looks
    configure_app(dataset)  # speakerid's bookkeeping fields out of the sidebar's way, one colour per person
    # remote=True: serve without opening a browser here; FiftyOne's ssh banner is filtered out
    # (speakerid.labels.database) and replaced by one line, only on a machine reached over ssh.
    session = fo.launch_app(dataset, address=args.address, port=args.port, remote=True)
    print(f"FiftyOne App: http://{args.address}:{args.port}/ (Ctrl-C to stop)")
    if os.environ.get("SSH_CONNECTION") and args.address in ("127.0.0.1", "localhost"):
        print(
            f"from your own machine: ssh -N -L {args.port}:127.0.0.1:{args.port} <this host>, "
            f"then open http://localhost:{args.port}/"
        )
    if worker:
        from speakerid.delegated_worker import start_worker

        stop = threading.Event()
        start_worker(lambda: {args.dataset}, stop)
        print(f"Scheduled runs (Schedule in a form) of speakerid on {args.dataset!r} run here, in the background")
    try:
        session.wait(-1)
    finally:
        if worker:
            stop.set()
    return 0


def _detached(args: argparse.Namespace, start_s: float = 300.0) -> int:
    """Run ``speakerid app`` (same options, waiting) in a new session and return once it answers."""
    import subprocess
    import sys
    import time
    import urllib.request

    from speakerid.cache import cache_dir

    log = cache_dir("app") / f"app-{args.port}.log"
    command = [sys.executable, "-m", "speakerid.cli.main", "app", "--dataset", args.dataset]
    command += ["--address", args.address, "--port", str(args.port)]
    command += ["--gallery", args.gallery] if args.gallery else []
    command += ["--no-worker"] if args.no_worker else []
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url, deadline = f"http://{args.address}:{args.port}/", time.monotonic() + start_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lines = log.read_text().strip().splitlines()
            raise SpeakeridError(f"speakerid app stopped while starting: {lines[-1] if lines else 'no output'} ({log})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                print(f"FiftyOne App: {url} (server pid {proc.pid}, log {log}; stop it with `kill {proc.pid}`)")
                return 0
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SpeakeridError(f"speakerid app did not answer on {url} within {start_s:.0f} s ({log})")
