#!/usr/bin/env bash
# Installs the C libraries CFClip links against (Debian 12 / Ubuntu), once.
# Swift itself (6.0 or newer) must already be on PATH.
set -euo pipefail
pkgs=(libopenblas-dev libhdf5-dev libturbojpeg0-dev libpng-dev zlib1g-dev pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
