#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium and
# ChromeDriver for the dashboard's real-browser test, the Standard Webhooks reference library
# (PyPI) the webhook receiver of the tests verifies signatures with, and schemathesis (PyPI, in
# a virtual environment under .tools/, which git ignores) for the API fuzzing test. Safe to run
# again.
set -euo pipefail
cd "$(dirname "$0")/.."

if python3 -c "import standardwebhooks" >/dev/null 2>&1; then
  echo "standardwebhooks is installed"
else
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore standardwebhooks
fi

# schemathesis, pinned: the fuzzing test uses its command line and checks, and a fixed version
# keeps CI's runs reproducible.
SCHEMATHESIS_VERSION=4.32.5
if .tools/venv/bin/schemathesis --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"; then
  echo "schemathesis is installed"
else
  python3 -m venv .tools/venv
  .tools/venv/bin/python -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  .tools/venv/bin/schemathesis --version
fi

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium and chromedriver are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-test-deps: run as root (or install sudo) to apt-get install chromium chromium-driver" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
chromium --version
chromedriver --version
