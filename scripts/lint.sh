#!/usr/bin/env bash
# Static checks: gofmt, go vet, staticcheck (fetched through the Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...
# internal/pipeline is the vocabulary: standard library only.
bad=$(go list -f '{{join .Imports "\n"}}' ./internal/pipeline | grep '\.' || true)
if [ -n "$bad" ]; then
	echo "internal/pipeline must import only the standard library, found:" >&2
	echo "$bad" >&2
	exit 1
fi
