#!/usr/bin/env bash
# The nightly regression render: runs PIPELINE (whose `regression:` section names the golden
# folder) into a dated folder. Exit 0: every image and score matches the golden run; 3: drift
# (the run's regression.json and the printed list say what moved); 1: the run itself failed.
set -euo pipefail
PIPELINE=${PIPELINE:?set PIPELINE to a pipeline file with a regression: section}
OUT_ROOT=${OUT_ROOT:-out/nightly}
out="$OUT_ROOT/$(date -u +%Y-%m-%d)"
"${CFCLIP_BATCH:-cfclip-batch}" run "$PIPELINE" --output "$out" --quiet
