#!/usr/bin/env bash
# Debian packages the tests need besides PostgreSQL (see postgres.sh): Graphviz for the process map.
set -euo pipefail
if ! command -v dot >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends graphviz fonts-dejavu-core >/dev/null
fi
dot -V
