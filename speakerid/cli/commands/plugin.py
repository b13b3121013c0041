"""``speakerid plugin``: install the FiftyOne App plugin, or show where it is."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugin", help="install the FiftyOne App plugin (operators + Speakers panel)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    inst = actions.add_parser(
        "install", help="symlink (or copy) the plugin shipped in the package into FiftyOne's plugins dir"
    )
    inst.add_argument("--copy", action="store_true", help="copy the files instead of symlinking the folder")
    inst.add_argument("--force", action="store_true", help="replace what is already installed there")
    inst.add_argument("--dir", default=None, help="plugins directory (default: fiftyone's, $FIFTYONE_PLUGINS_DIR)")
    actions.add_parser("path", help="print the plugin's source folder and where FiftyOne finds it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid import plugin_install

    if args.action == "install":
        target = plugin_install.install(args.dir, copy=args.copy, force=args.force)
        print(f"installed {plugin_install.PLUGIN_NAME} at {target}")
        if args.dir:
            print(f"the App loads it when {plugin_install.PLUGINS_ENV}={target.parent}")
        return 0
    print(plugin_install.plugin_source())
    found = plugin_install.installed_path()
    print(
        f"FiftyOne finds it at {found}"
        if found
        else "not installed: run `speakerid plugin install` (or `speakerid app`, which loads it itself)"
    )
    return 0
