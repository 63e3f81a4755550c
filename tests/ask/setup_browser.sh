#!/usr/bin/env bash
# Install Debian's chromium for the tests/ask browser test (Playwright drives it; it never downloads a browser).
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (apt-get); exits 3 without it.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium missing and not root: run 'sudo apt-get install -y chromium'" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
# Lists present and fresh enough: no update. Otherwise one `apt-get update`, then retry.
if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "installed: $("$CHROMIUM" --version)"
