"""Which optional extra a missing package comes with, so a lean install says what to add.

``pip install speakerid`` gives the main job (annotate, enroll, label, app, search by name) without
torch; video models, training and explanations, active-speaker mode and Ray come with extras
(``pyproject.toml``). A command that reaches for a package it lacks ends with one line naming the
extra instead of a traceback.
"""

from __future__ import annotations

EXTRAS = ("asd", "video", "train", "ray")
# packages only one extra brings
EXTRA_OF_PACKAGE = {
    "silero_vad": "asd",
    "sentence_transformers": "video",
    "pytorchvideo": "video",
    "captum": "train",
    "pytorch_metric_learning": "train",
    "umap": "train",
    "ray": "ray",
}
# torch comes with several extras: the command tells which one it wanted
EXTRA_OF_COMMAND = {
    "annotate": "asd",
    "label": "asd",
    "embed-videos": "video",
    "train-video": "video",
    "search": "video",
    "search by meaning": "video",
    "train-faces": "train",
    "explain": "train",
    "robustness": "train",
    "evaluate": "train",
    "verify": "train",
}
# their metadata pins an old torch: installed with --no-deps beside an extra (install.sh does)
NO_DEPS = {"facenet_pytorch": "facenet-pytorch==2.6.0", "pytorchvideo": "pytorchvideo==0.1.5"}


def missing_extra(package: str | None, command: str) -> str | None:
    """One line telling how to install ``package`` (a module name, as ``ModuleNotFoundError.name``
    gives it) for ``command``, or None when no extra of ours brings it."""
    root = (package or "").split(".")[0]
    extra = EXTRA_OF_PACKAGE.get(root)
    if extra is None and root in ("torch", "torchvision", "facenet_pytorch"):
        extra = EXTRA_OF_COMMAND.get(command, "all")
    if extra is None:
        return None
    line = f"{command} needs {root}, which is not installed: pip install 'speakerid[{extra}]'"
    if root in NO_DEPS:
        line += f" and pip install --no-deps {NO_DEPS[root]}"
    return line
