#!/usr/bin/env bash
# Set up (first time only) and start the web app on the bundled corpus: http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
exec .venv/bin/python app.py "$@"
