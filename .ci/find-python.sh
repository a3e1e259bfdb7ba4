#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 that really runs (the app's runtime: PySide6 6.12 on 3.11 drops
# references to None and aborts long GUI sessions, see README "Python version"). Checks, in order: $PY,
# python3.12, python3.13 on PATH, pyenv's installed versions, the usual system places, then python3.
# A pyenv shim for a version that is installed but not selected fails when run, so each candidate is
# run, not just found. Exit 1 (and a message on stderr) when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
candidates=()
[ -n "${PY:-}" ] && candidates+=("$PY")
candidates+=(python3.12 python3.13)
for root in "${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv /opt/pyenv; do
  for p in "$root"/versions/3.12*/bin/python3.12 "$root"/versions/3.13*/bin/python3.13 \
           "$root"/versions/3.1[4-9]*/bin/python3; do
    [ -x "$p" ] && candidates+=("$p")
  done
done
candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.13 /usr/bin/python3.13 python3)
for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null) || continue
  if ok "$path"; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "没有找到 Python 3.12 或更新版本（需要 3.12+）：请安装 python3.12，或用 make PY=/path/to/python3.12 指定。" >&2
exit 1
