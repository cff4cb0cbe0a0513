#!/usr/bin/env bash
# Runs secpipe's whole test suite: installs what the tests need, then
# go test with the race detector. The README's test command calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
go vet ./...
go test -race -count=1 -timeout 20m ./...
