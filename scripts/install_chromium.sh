#!/usr/bin/env bash
# Install Debian's chromium for the headless browser test of `spark-lineage graph --html`
# (tests/integration/test_impact_graph_html.py). Idempotent: does nothing when it is installed.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
