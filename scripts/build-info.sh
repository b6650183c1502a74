#!/bin/sh
# Run by the BuildInfo plugin before each build: ROOT OUTDIR. Writes OUTDIR/Generated.swift with
# the git commit (+dirty when tracked files differ from it) and the UTC time of the first build
# that saw that state; unchanged state leaves the file alone, so nothing recompiles.
set -eu
root=$1; out=$2
mkdir -p "$out"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)" ]; then
  commit="$commit+dirty"
fi
file=$out/Generated.swift
if [ -f "$file" ] && grep -q "commit = \"$commit\"" "$file"; then exit 0; fi
cat > "$file.tmp" <<SWIFT
// Written by scripts/build-info.sh (BuildInfo plugin); not in git.
enum Generated {
    static let commit = "$commit"
    static let date = "$(date -u +%Y-%m-%dT%H:%MZ)"
}
SWIFT
mv "$file.tmp" "$file"
