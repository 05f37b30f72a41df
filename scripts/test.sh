#!/usr/bin/env bash
# Set up (first time only) and run the test suite with the real models and a real Chroma.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
