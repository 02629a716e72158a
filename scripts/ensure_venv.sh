#!/usr/bin/env bash
# Creates .venv when missing and pip-installs a requirements file into it, but only when the
# requirements files changed since the last install: their hash is kept in a stamp file in .venv.
#
#   scripts/ensure_venv.sh requirements.txt        # what `make run` needs
#   scripts/ensure_venv.sh requirements-dev.txt    # what `make test` needs
set -euo pipefail
cd "$(dirname "$0")/.."

requirements="${1:?usage: $0 requirements.txt|requirements-dev.txt}"
python="${PYTHON:-python3}"
venv=.venv

if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi

# All requirements files together, since one includes another (-r requirements.txt).
wanted_hash="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
stamp="$venv/.installed-${requirements%.txt}.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted_hash" ]; then
    exit 0
fi

echo "Installing $requirements into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$wanted_hash" > "$stamp"
