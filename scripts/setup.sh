#!/usr/bin/env bash
# Installs everything RNN Lab needs on Debian 12: system packages, then one venv with the project.
# Idempotent and quiet when there is nothing to do.
set -euo pipefail
VENV="${1:-/opt/rnnlab/venv}"
cd "$(dirname "$0")/.."

APT_PACKAGES=(bubblewrap chromium python3-venv libseccomp2 fonts-dejavu-core postgresql)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's interpreter, not a pyenv one under /root: the sandbox drops to uid 65534, which must read it.
PYTHON=/usr/bin/python3
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
stamp="$VENV/.rnnlab-installed"
want="$(sha256sum pyproject.toml | cut -c1-16) $(pwd)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the project into $VENV"
  "$VENV/bin/pip" install -q -e ".[test]"
  echo "$want" > "$stamp"
fi
chmod -R o+rX "$VENV"
