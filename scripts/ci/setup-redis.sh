#!/usr/bin/env bash
# Installs Debian's redis-server for the fleet specs (spec/redis) when it is missing.
# Idempotent: does nothing when redis-server is on PATH. .ci/run calls every scripts/ci/setup-*.sh.
# The specs start their own redis-server on a free 127.0.0.1 port; this script starts nothing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(redis-server --version)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-redis: redis-server is missing; install it as root: apt-get install -y redis-server" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Install from the lists the machine has; refresh them only when that fails (fresh image, old lists).
if ! apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
# Debian's package starts a system service on port 6379 where an init system runs; the specs do not use it.
redis-server --version
