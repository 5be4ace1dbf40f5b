#!/usr/bin/env bash
# Installs Debian's Chromium for the browser specs (spec/tabs) when it is missing.
# Idempotent: does nothing when /usr/bin/chromium is there. .ci/run calls every scripts/ci/setup-*.sh.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-chromium: /usr/bin/chromium is missing; install it as root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
