#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium and
# ChromeDriver for the dashboard's real-browser test, and from PyPI the Standard Webhooks
# reference library (the tests' webhook receiver verifies signatures with it) and aiosmtpd (the
# tests' SMTP sink). Safe to run again.
set -euo pipefail

# Python packages the tests' receivers run on: the Standard Webhooks reference library and the
# aiosmtpd SMTP sink.
if python3 -c "import standardwebhooks, aiosmtpd" >/dev/null 2>&1; then
  echo "standardwebhooks and aiosmtpd are installed"
else
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    standardwebhooks aiosmtpd
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
