#!/usr/bin/env bash
# Installs the C libraries CFClip links against (Debian 12 / Ubuntu), once, and what the
# survey page's browser test needs. Swift itself (6.0 or newer) must already be on PATH.
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

# missing_of PKG...: the packages of the list that dpkg does not have installed
missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install() { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null; }

mapfile -t missing < <(missing_of libopenblas-dev libhdf5-dev libturbojpeg0-dev libpng-dev zlib1g-dev pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  install "${missing[@]}"
fi

# StudyBrowserTests drives headless Chromium with selenium. Optional: where these cannot be
# installed, that test is skipped and says why.
mapfile -t browser < <(missing_of chromium chromium-driver python3-selenium)
if [ ${#browser[@]} -gt 0 ]; then
  echo "installing (for the browser test): ${browser[*]}" >&2
  install "${browser[@]}" || echo "setup.sh: could not install ${browser[*]}; StudyBrowserTests will be skipped" >&2
fi
