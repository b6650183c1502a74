#!/usr/bin/env bash
# Submits the array, then the merge to run once every task has succeeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
array=$(sbatch --parsable examples/slurm/array.sbatch)
sbatch --dependency="afterok:${array%%;*}" examples/slurm/merge.sbatch
