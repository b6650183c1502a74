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

# The metrics-reading test runs the README's pandas and duckdb reads in a virtual environment
# (.tools/venv: duckdb is not packaged by Debian). Optional: without it that test is skipped
# and says why.
if [ ! -x .tools/venv/bin/python ] || ! .tools/venv/bin/python -c "import pandas, duckdb" 2>/dev/null; then
  mapfile -t venv < <(missing_of python3-venv)
  if [ ${#venv[@]} -gt 0 ]; then install "${venv[@]}" || true; fi
  if python3 -m venv .tools/venv >/dev/null 2>&1 && .tools/venv/bin/pip install -q pandas==2.2.3 duckdb==1.1.3 >/dev/null 2>&1; then
    echo "setup.sh: .tools/venv has pandas and duckdb (for RowsReadTests)" >&2
  else
    echo "setup.sh: could not make .tools/venv with pandas and duckdb; RowsReadTests will be skipped" >&2
  fi
fi
