#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (ASan, no -Ounchecked) and runs each for SECONDS.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]      harnesses: checkpoint hdf5 config (default all)
# Corpora grow in Fuzz/corpus/NAME (seeded from ../shared/fixtures, the demo latents and
# pipelines/); a crash is kept in Fuzz/crashes/NAME/ and the script exits 1. Commit kept
# crashes once fixed: the test suite replays them (FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}; shift || true
harnesses=("$@"); [ ${#harnesses[@]} -gt 0 ] || harnesses=(checkpoint hdf5 config)
fixtures=${CFCLIP_FIXTURES:-$root/../shared/fixtures}

# (a build that says "no such module" after targets were added to the main package: remove
# Fuzz/.build, whose cached plan of the linked package is stale)
(cd Fuzz && CFCLIP_CHECKED=1 swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >&2)
bin=$(cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --show-bin-path)

seed() { # NAME: copies seed inputs into the corpus once
  local dir=Fuzz/corpus/$1; mkdir -p "$dir"
  [ -n "$(ls -A "$dir")" ] && return 0
  case $1 in
    checkpoint) find "$fixtures" \( -name '*.pt' -o -name '*.pth' -o -name '*.safetensors' \) -size -2M 2>/dev/null |
                while read -r f; do cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    hdf5) [ -f data/demo/latents.h5 ] || .build/release/cfclip demo-assets >/dev/null 2>&1 || true
          cp data/demo/latents.h5 "$dir/" 2>/dev/null || true ;;
    config) cp pipelines/*.yaml "$dir/" ;;
  esac
}

export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0"
# A size read from a damaged file may ask malloc for terabytes: in a normal build that returns
# NULL and the library reports an error, so the fuzzers let it do the same.
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
status=0
for h in "${harnesses[@]}"; do
  seed "$h"
  mkdir -p "Fuzz/crashes/$h"
  echo "== fuzz-$h for ${seconds}s (corpus $(ls Fuzz/corpus/$h | wc -l) files)" >&2
  # libhdf5 crashes on some damaged files (contained in production by the reader child): the
  # HDF5 harness keeps fuzzing past them (fork mode) and sorts its findings afterwards
  extra=(); [ "$h" = hdf5 ] && extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  if ! "$bin/fuzz-$h" "Fuzz/corpus/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
       "${extra[@]}" -artifact_prefix="Fuzz/crashes/$h/" -print_final_stats=1 2> "Fuzz/corpus/$h.log"; then
    # (fork mode exits non-zero after any crash it kept going past: those are sorted below)
    [ "$h" = hdf5 ] || status=1
    echo "fuzz-$h found a crash: $(ls -t Fuzz/crashes/$h | head -1)" >&2
  fi
  for f in Fuzz/crashes/$h/crash-* Fuzz/crashes/$h/timeout-* Fuzz/crashes/$h/oom-* Fuzz/crashes/$h/leak-*; do
    [ -e "$f" ] || continue
    # where it failed: the first frame outside the sanitizer runtime, the allocator and libc's
    # memory copies (an out-of-memory report starts in malloc, a bad read often in memcpy)
    # (the replay exits non-zero by design: `|| true` keeps pipefail from hiding the frame)
    first=$( { "$bin/fuzz-$h" -rss_limit_mb=2048 "$f" 2>&1 || true; } | grep -E '^ *#[0-9]+ ' |
             grep -v -E 'compiler-rt|sysdeps/|libc\.so| in (malloc|calloc|realloc|free|__?mem[a-z_]*) ' | head -n 1 || true)
    if [ "$h" = hdf5 ] && [[ $first == *libhdf5* ]]; then
      mv "$f" "Fuzz/crashes/$h/libhdf5-$(basename "$f")"
      echo "fuzz-$h: $(basename "$f") crashes libhdf5 itself (kept as libhdf5-$(basename "$f"))" >&2
    else
      status=1; echo "fuzz-$h: open finding $f" >&2
    fi
  done
  grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|cov: .* ft:" "Fuzz/corpus/$h.log" | tail -4 >&2 || true
done
exit $status
