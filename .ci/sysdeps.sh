#!/usr/bin/env bash
# Installs the system libraries PySide6 needs (even offscreen) when they are missing.
# Only acts as root; elsewhere it prints what to install.
set -euo pipefail
pkgs=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libxkbcommon-x11-0 poppler-utils
  binutils  # binutils: PyInstaller (tests/test_dist.py) needs objdump, objcopy and strip
  # The X11 ("xcb") platform plugin that `make run` uses on a desktop loads these; without them Qt
  # aborts with "Could not load the Qt platform plugin xcb" on a fresh Linux desktop.
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libx11-xcb1
  # A virtual X display: `make test` runs the GUI tests once more on the real xcb plugin under it.
  xvfb xauth)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages (install them): ${missing[*]}" >&2
fi
