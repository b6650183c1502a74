#!/usr/bin/env bash
# Back-pressure check: peak RSS (VmHWM) of `cfclip-batch pipelines/demo.yaml` with 20 and with
# 200 latents. The stages are joined by bounded queues, so the two figures should agree within
# a few percent. Needs a release build (swift build -c release).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for n in 20 200; do
  mkdir -p "$work/$n/pipelines"
  cp "$root/pipelines/demo.yaml" "$work/$n/pipelines/"
  "$root/.build/release/cfclip" demo-assets --output "$work/$n/data/demo" --latents "$n" >/dev/null
  python3 - "$root/.build/release/cfclip-batch" "$work/$n/pipelines/demo.yaml" "$n" <<'PY'
import resource, subprocess, sys, time
t = time.time()
subprocess.run([sys.argv[1], sys.argv[2], "--quiet"], check=True, stdout=subprocess.DEVNULL)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{sys.argv[3]:>4} latents: peak RSS {rss:.1f} MiB, {time.time() - t:.2f} s")
PY
done
