#!/usr/bin/env bash
# Debian packages the test suite drives Kluis with: python3-azure (the Python SDKs), openssl, PostgreSQL's
# server (the multi-node tests start their own throwaway cluster) and PgBouncer (Kluis behind a pooler), Chromium
# with NSS's certutil (the web UI's tests drive Debian's Chromium, which trusts the test CA through an NSS database;
# nothing downloads a browser), and strace (test/audit-fsync.test.ts counts the fsyncs on the WAL).
# Installs them when missing, so `npm test` does all set-up on a fresh machine; then runs every
# scripts/prepare-*.sh, each of which prepares one toolchain's packages for the client tests.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
dpkg -s python3-azure >/dev/null 2>&1 || missing+=(python3-azure)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
command -v strace >/dev/null 2>&1 || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for prepare in scripts/prepare-*.sh; do
  [ -e "$prepare" ] || continue
  bash "$prepare"
done
