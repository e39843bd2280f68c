#!/usr/bin/env bash
# Debian packages the tests need besides PostgreSQL (see postgres.sh): Graphviz for the process map,
# Chromium and its driver for the web channel's browser tests (tests/test_web_browser.py).
set -euo pipefail
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz fonts-dejavu-core)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
dot -V
chromium --version
