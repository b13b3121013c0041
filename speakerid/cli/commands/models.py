"""``speakerid models``: every pretrained file speakerid uses, its licence, and whether it is here."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="list the pretrained weights, their licences and whether they are available offline",
        description="Every pretrained file speakerid uses (speakerid/weights.py): what it is for, its "
        "licence, whether it is on this machine (checked against its sha256) and where.",
    )
    p.add_argument("--inputs", action="store_true", help="also show the input each model expects")
    p.set_defaults(func=run)


def status(entry) -> tuple[bool, str]:
    """(usable offline, why not): the files are here and are the registered ones."""
    from speakerid.errors import ModelUnavailableError
    from speakerid.weights import FACENET_CASIA, Download

    if not entry.available():
        source = entry.files[0].source
        return False, "downloaded on first use" if isinstance(source, Download) else f"missing ({source})"
    try:
        entry.paths()
    except ModelUnavailableError:
        return False, "a different file is installed"
    if entry is FACENET_CASIA:  # what annotation runs is the cached conversion: hash-checked too
        from speakerid.faces.facenet_convert import cache_state

        if state := cache_state():
            return True, state
    return True, ""


def where(entry) -> str:
    """The file's path, or where it comes from when its package is not installed (a lean install)."""
    from speakerid.errors import ModelUnavailableError

    try:
        return str(entry.locate())
    except ModelUnavailableError:
        return str(entry.files[0].source)


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from speakerid.cli.progress import console
    from speakerid.weights import WEIGHTS

    table = Table(title="speakerid pretrained weights (speakerid/weights.py)")
    table.add_column("name", no_wrap=True)
    for col in ("used for", "licence", "offline", "file"):
        table.add_column(col, overflow="fold")
    if args.inputs:
        table.add_column("input", overflow="fold")
    research = []
    for entry in WEIGHTS.values():
        ok, why = status(entry)
        licence = f"[bold red]{entry.licence}[/]" if entry.research_only else entry.licence
        name = f"{entry.name} *" if entry.default else entry.name
        row = [
            name,
            entry.used_for,
            licence,
            ("yes" if not why else f"yes; {why}") if ok else f"no: {why}",
            where(entry),
        ]
        table.add_row(*row, *([entry.transform] if args.inputs else []))
        if entry.research_only and entry.default:
            research.append(entry.name)
    console.print(table)
    console.print("* used by `speakerid annotate` with its default options")
    if research:
        console.print(
            f"[bold red]research use only[/] and used by default: {', '.join(research)}. Where "
            "research-only weights are not allowed: `--embedder sface` (Apache-2.0) and no cohort files "
            "(docs/models.md)."
        )
    return 0
