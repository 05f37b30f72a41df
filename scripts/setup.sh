#!/usr/bin/env bash
# Creates .venv and installs the locked requirements and this project (editable, so the `rag` command
# runs this checkout), skipped when they have not changed since the last run; then the bundled model
# (skipped when its verified file is in .cache/).
# Usage: scripts/setup.sh [lock files...]   (default: requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
files=("${@:-requirements.txt}")
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv ..."
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-$(cat "${files[@]}" pyproject.toml scripts/llama-cmake-args.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing ${files[*]} (llama-cpp-python compiles llama.cpp: about 8 minutes on 2 cores) ..."
  start=$(date +%s)
  args=(); for f in "${files[@]}"; do args+=(-r "$f"); done
  CMAKE_ARGS="${CMAKE_ARGS:-$(scripts/llama-cmake-args.sh)}"  # see the script: no AMX kernels
  export CMAKE_ARGS
  if [ -n "$CMAKE_ARGS" ]; then echo "llama.cpp is built with CMAKE_ARGS=$CMAKE_ARGS"; fi
  .venv/bin/python -m pip install --quiet "${args[@]}"
  .venv/bin/python -m pip install --quiet --no-deps --editable .
  echo "installed in $(( $(date +%s) - start ))s"
  touch "$stamp"
fi
.venv/bin/python -m rag install-model >/dev/null
