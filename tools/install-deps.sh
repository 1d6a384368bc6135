#!/usr/bin/env bash
# Installs what building, testing and plotting need and are missing:
#   - libnuma-dev, zlib1g-dev and pkg-config (Debian/Ubuntu, through apt-get; sudo when not root)
#   - a Python virtual environment in .venv with tools/requirements.txt (matplotlib,
#     pandas, and pytest for tools/tests)
#   - libsqlite3-dev, libpq5, postgresql and chromium (the results store, its tests, the report check)
#   - apache-otava (analysis only) and scipy in .venv (the reference for the history gate's tests)
# Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists numa 2>/dev/null && [ ! -e /usr/include/numa.h ]; then need+=(libnuma-dev); fi
if ! pkg-config --exists zlib 2>/dev/null && [ ! -e /usr/include/zlib.h ]; then need+=(zlib1g-dev); fi
# The results store: SQLite's headers, libpq (opened at run time); a PostgreSQL server for the store's tests.
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -e /usr/include/sqlite3.h ]; then need+=(libsqlite3-dev); fi
if ! ldconfig -p 2>/dev/null | grep -q 'libpq\.so\.5 '; then need+=(libpq5); fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
# Headless Chromium: tools/check-report.py loads the HTML report in it.
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
        exit 1
    fi
    echo "install-deps: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! .venv/bin/python -c 'import matplotlib, pandas, pytest' >/dev/null 2>&1; then
    echo "install-deps: installing into .venv: $(tr '\n' ' ' < tools/requirements.txt)" >&2
    # A .venv made before a requirement was added is kept and completed.
    if [ ! -x .venv/bin/python ] && ! python3 -m venv .venv >/dev/null 2>&1; then
        # Debian's system Python keeps venv in a separate package.
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .venv
    fi
    .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
fi

# Apache Otava: the reference the history gate's change points are tested
# against.  --no-deps: only its analysis module is used, not its server clients.
if ! .venv/bin/python -c 'import otava.analysis, scipy' >/dev/null 2>&1; then
    echo "install-deps: installing apache-otava (analysis only) and scipy into .venv" >&2
    .venv/bin/pip install -q --disable-pip-version-check "scipy>=1.16,<1.17"
    .venv/bin/pip install -q --disable-pip-version-check --no-deps apache-otava==0.8.0
fi
