#!/usr/bin/env bash
# Refresh the lock: requirements.txt (the app, with the server-side engines) and requirements-dev.txt
# (plus the test tools), exact versions resolved from pyproject.toml's ranges by pip-tools' pip-compile.
# Run it after changing a dependency in pyproject.toml, or to take newer releases (--upgrade); commit both.
# Usage: scripts/lock.sh [--upgrade]
set -euo pipefail
cd "$(dirname "$0")/.."
tools=.cache/lock-venv
if [ ! -x "$tools/bin/pip-compile" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet "pip-tools>=7.4"
fi
opts=(--quiet --strip-extras --no-emit-index-url --no-emit-find-links --resolver=backtracking "$@")
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tools/bin/pip-compile" "${opts[@]}" --extra server \
  -o requirements.txt pyproject.toml
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tools/bin/pip-compile" "${opts[@]}" --extra server --extra dev \
  -o requirements-dev.txt pyproject.toml
