#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium and
# ChromeDriver for the dashboard's real-browser test; Debian's PostgreSQL server (the tests start
# throwaway clusters of their own with it, never a system-wide one); nginx, Caddy, systemd and openssl for the
# tests of the deployment files (nginx -t, caddy adapt, systemd-analyze verify, and the real
# server behind each proxy); from PyPI the Standard Webhooks reference library (the tests'
# webhook receiver verifies signatures with it) and aiosmtpd (the tests' SMTP sink); and
# schemathesis, in a virtual environment under .tools/ (ignored by git), for the API fuzzing
# test; and from npm the real socket.io-client and ws the realtime tests drive (tests/node,
# pinned by its package-lock.json). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# schemathesis, pinned: the fuzzing test uses its command line and checks, and a fixed version
# keeps CI's runs reproducible.
SCHEMATHESIS_VERSION=4.32.5
schemathesis_ready() {
  .tools/venv/bin/schemathesis --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"
}

# Debian packages still missing: a command name and the package that brings it.
missing=()
for pair in chromium:chromium chromedriver:chromium-driver nginx:nginx caddy:caddy \
  systemd-analyze:systemd openssl:openssl unshare:util-linux node:nodejs npm:npm; do
  cmd="${pair%%:*}"
  package="${pair#*:}"
  if command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ]; then
    echo "$cmd is installed"
  else
    missing+=("$package")
  fi
done
# PostgreSQL's server programs (initdb, postgres) live under /usr/lib/postgresql/<version>/bin.
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  echo "postgresql is installed"
else
  missing+=(postgresql)
fi
# Debian's python3 makes virtual environments only with python3-venv.
if ! schemathesis_ready && ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-test-deps: run as root (or install sudo) to apt-get install ${missing[*]}" >&2
    exit 1
  fi

  # Installing nginx or Caddy must not start a system-wide server on ports 80 and 443: the
  # tests run their own. Where no policy forbids starting services, one is put in place for
  # the install.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi

  # The tests start their own clusters: the package need not make (or start) one.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi

  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  for cmd in chromium chromedriver; do
    command -v "$cmd" >/dev/null 2>&1 && "$cmd" --version
  done
  /usr/sbin/nginx -v
  caddy version
  systemd-analyze --version | head -n 1
fi

# Python packages the tests' receivers run on: the Standard Webhooks reference library and the
# aiosmtpd SMTP sink.
if python3 -c "import standardwebhooks, aiosmtpd" >/dev/null 2>&1; then
  echo "standardwebhooks and aiosmtpd are installed"
else
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    standardwebhooks aiosmtpd
fi

if schemathesis_ready; then
  echo "schemathesis $SCHEMATHESIS_VERSION is installed"
else
  python3 -m venv .tools/venv
  .tools/venv/bin/python -m pip install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION"
  .tools/venv/bin/schemathesis --version
fi

# The npm packages, exactly as the lock file pins them; reinstalled when the lock changes.
if cmp -s tests/node/package-lock.json tests/node/node_modules/.installed-from-lock; then
  echo "npm packages of tests/node are installed"
else
  npm ci --prefix tests/node --no-audit --no-fund
  cp tests/node/package-lock.json tests/node/node_modules/.installed-from-lock
fi
