#!/usr/bin/env bash
# Installs the Debian packages that `make run` or `make test` needs, and only those missing:
# dpkg-query first, then one `apt-get update` and one `apt-get install` when something is missing.
#
#   scripts/install_system_packages.sh run          # what `make run` needs
#   scripts/install_system_packages.sh test         # the same, plus what the test suite needs
#   scripts/install_system_packages.sh run --list   # only print the packages, installed or not
set -euo pipefail

purpose="${1:-}"
action="${2:-install}"

# WeasyPrint draws the PDFs with pango and harfbuzz; without libharfbuzz-subset0 it falls back to
# fontTools subsetting and a page takes 5-10 s instead of 0.25 s. fonts-noto-cjk gives the PDFs and
# the browser a Chinese font with a real bold. poppler-utils (pdftoppm) turns PDFs into images.
# redis-server is the Celery broker that `make run` starts when REDIS_URL is not set.
# gnupg encrypts the backups of `make backup` (scripts/backup.py).
run_packages=(
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
    fonts-noto-cjk poppler-utils redis-server gnupg
)
# chromium: Debian's, for the Playwright browser tests (Playwright cannot download its own here).
# docker-compose: Debian's v1.29, only to validate docker-compose.yml in the tests.
test_packages=(chromium docker-compose)

usage="usage: $0 run|test [--list]"
case "$purpose" in
    run) wanted=("${run_packages[@]}") ;;
    test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
case "$action" in
    install | --list) ;;
    *) echo "$usage" >&2; exit 2 ;;
esac

if [ "$action" = "--list" ]; then
    printf '%s\n' "${wanted[@]}"
    exit 0
fi

# `python3 -m venv` needs ensurepip, which Debian ships separately in python3-venv.
# A Python built from source (pyenv, the python Docker images) has it already.
if ! "${PYTHON:-python3}" -c "import ensurepip" >/dev/null 2>&1; then
    wanted+=(python3-venv)
fi

missing=()
for package in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    if [ "$status" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "These Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
