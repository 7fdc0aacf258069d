#!/usr/bin/env bash
# The Go client programs of the SDK matrix (issue 11): downloads the modules pinned in test/programs/go/go.sum into
# the module cache (~/go/pkg/mod, kept across runs) and builds one binary per program into test/programs/go/bin
# (gitignored), so test/clients-go.test.ts only runs binaries. Quick when nothing changed (Go's build cache).
set -euo pipefail
cd "$(dirname "$0")/../test/programs/go"
if ! command -v go >/dev/null 2>&1; then
  echo "prepare-go: the Go toolchain ('go') is not on PATH; the Go client tests (test/clients-go.test.ts) need Go >= $(sed -n 's/^go //p' go.mod)." >&2
  exit 1
fi
go mod download
go build -mod=readonly -buildvcs=false -o bin/ ./...
