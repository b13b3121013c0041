"""Make the FiftyOne App find speakerid's plugin, which ships inside the package
(``speakerid/fiftyone_plugin``: ``fiftyone.yml`` + the operator modules), so a wheel install has
it as much as a checkout does.

Either install it into FiftyOne's plugins directory (a symlink by default, so an upgrade of
speakerid upgrades the plugin; a copy on request), or, for ``speakerid app``, point the App at a
directory holding the user's own plugins plus ours, without touching the user's directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from speakerid.cache import cache_dir
from speakerid.errors import SpeakeridError

PLUGIN_NAME = "@speakerid/speakerid"
PLUGIN_DIRNAME = "speakerid"
PLUGINS_ENV = "FIFTYONE_PLUGINS_DIR"


def plugin_source() -> Path:
    """The plugin folder shipped in the package (fiftyone.yml + Python modules)."""
    src = Path(__file__).resolve().parent / "fiftyone_plugin"
    if not (src / "fiftyone.yml").is_file():
        raise SpeakeridError(f"{src}: plugin folder incomplete (no fiftyone.yml): reinstall speakerid")
    return src


def user_plugins_dir() -> Path:
    """FiftyOne's plugins directory (``$FIFTYONE_PLUGINS_DIR`` or its config default)."""
    import fiftyone as fo

    return Path(fo.config.plugins_dir).expanduser()


def install(target_dir: str | Path | None = None, copy: bool = False, force: bool = False) -> Path:
    """Put the plugin into ``target_dir`` (default: FiftyOne's plugins dir); returns its new path.

    Re-installing the same symlink is a no-op; anything else already there needs ``force``.
    """
    src = plugin_source()
    dest = Path(target_dir).expanduser() if target_dir else user_plugins_dir()
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / PLUGIN_DIRNAME
    if target.is_symlink() and target.resolve() == src and not copy:
        return target
    if target.exists() or target.is_symlink():
        if not force:
            raise SpeakeridError(f"{target}: already exists; use --force to replace it")
        if target.is_symlink() or target.is_file():
            target.unlink()
        else:
            shutil.rmtree(target)
    if copy:
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        target.symlink_to(src, target_is_directory=True)
    return target


def installed_path() -> Path | None:
    """Where FiftyOne currently finds the plugin, if it does."""
    import fiftyone.plugins as fop

    for plugin in fop.list_plugins(enabled="all"):
        if plugin.name == PLUGIN_NAME:
            return Path(plugin.directory)
    return None


def app_plugins_dir() -> Path:
    """A plugins directory for the App holding the user's plugins and speakerid's.

    The user's directory is used as is when it already provides the plugin; otherwise a
    directory of symlinks (the user's plugins + ours) is rebuilt in speakerid's cache.
    """
    user = user_plugins_dir()
    if installed_path() is not None:
        return user
    merged = cache_dir("app-plugins")
    for link in merged.iterdir():
        if link.is_symlink():
            link.unlink()
    if user.is_dir():
        for entry in user.iterdir():
            if entry.is_dir() and not entry.name.startswith(".") and entry.name != PLUGIN_DIRNAME:
                (merged / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
    (merged / PLUGIN_DIRNAME).symlink_to(plugin_source(), target_is_directory=True)
    return merged


def use_plugins_dir(path: str | Path) -> None:
    """Make this process and the App servers it starts load plugins from ``path``."""
    import fiftyone as fo

    os.environ[PLUGINS_ENV] = str(path)
    fo.config.plugins_dir = str(path)
