# secpipe's developer targets. `make help` lists them.
GO        ?= go
BIN       ?= bin/secpipe
VERSION   ?= dev
FUZZTIME  ?= 10s
LDFLAGS   := -X github.com/secpipe/secpipe/internal/cli.Version=$(VERSION)

.PHONY: help build test test-short lint fuzz bench bench-secrets bench-config bench-vulns bench-engine bench-image bench-server demo

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/secpipe
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/secpipe

demo: ## run the bundled example repository's pipeline (its secret scan fails the build: exits 1)
	$(GO) run ./cmd/secpipe run examples/golden-image

test: ## run every test with the race detector (what CI runs)
	bash scripts/test.sh

test-short: ## run the quick tests only
	$(GO) test -short ./...

lint: ## go vet, gofmt, staticcheck
	bash scripts/lint.sh

fuzz: ## run every fuzz target for FUZZTIME each
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench: ## run the Go benchmarks (compare runs with benchstat)
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

bench-secrets: ## secret-scan throughput (MB per CPU-second) and peak RSS on the benchmark tree
	bash scripts/bench-secrets.sh

bench-config: ## configuration scan time and peak RSS on a Debian minbase rootfs (builds it with mmdebstrap)
	bash scripts/bench-config.sh

bench-vulns: ## Go all.zip import time, and scan CPU-seconds and peak RSS on the 21 go.mod/go.sum files
	bash scripts/bench-vulns.sh

bench-engine: ## engine overhead per no-op action, actions per second, 10-stage pipeline time (SQLite + River)
	bash scripts/bench-engine.sh

bench-server: ## server on PostgreSQL + 2 workers: executions/min, p95 scheduling latency, API p50/p95/p99 at 100 req/s
	bash scripts/bench-server.sh

bench-image: ## golden-image build times: busybox fixture (< 2 s) and Debian minbase + one package (< 30 s, warm)
	bash scripts/bench-image.sh
