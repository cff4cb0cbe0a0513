#!/usr/bin/env bash
# Secret-scan benchmark: throughput in MB of tree per CPU-second (user+sys),
# peak RSS and recall of the planted secrets, medians over RUNS runs after
# a warm-up.
#
# The tree (the Go source tree plus 50 planted fake secrets, see
# ../shared/bench/secrets-tree.sh) is built once and cached under
# ${TMPDIR:-/tmp}/secpipe-bench. Environment:
#   RUNS            timed runs (default 5, at least 5)
#   BENCH_DIR       cache directory (default ${TMPDIR:-/tmp}/secpipe-bench)
#   SECPIPE_SHARED  the shared folder holding bench/ (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${RUNS:-5}
((runs >= 5)) || runs=5
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
shared=${SECPIPE_SHARED:-$repo/../shared}

if [[ ! -x /usr/bin/time ]]; then
	echo "installing GNU time (/usr/bin/time)" >&2
	apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null
fi
for tool in python3 go; do
	command -v "$tool" >/dev/null || { echo "bench-secrets: $tool is required" >&2; exit 2; }
done

if [[ ! -f $bench/planted.json || ! -d $bench/tree ]]; then
	echo "building the benchmark tree in $bench/tree" >&2
	mkdir -p "$bench"
	bash "$shared/bench/secrets-tree.sh" "$bench" >&2
fi
tree_bytes=$(du -sb "$bench/tree" | cut -f1)

bin=$bench/secpipe
go build -o "$bin" ./cmd/secpipe

# run N: scans the tree once; appends "user sys maxrss_kib" to $bench/times.
run() {
	local status=0
	/usr/bin/time -o "$bench/time.$1" -f '%U %S %M' \
		"$bin" scan secrets "$bench/tree" --format json --output "$bench/report.json" 2>"$bench/stderr.$1" || status=$?
	# Exit 1 means the gate failed on the findings, which is expected here.
	if ((status > 1)); then
		echo "bench-secrets: secpipe exited $status" >&2
		cat "$bench/stderr.$1" >&2
		exit 2
	fi
	tail -n 1 "$bench/time.$1" >>"$bench/times"
}

: >"$bench/times"
run warmup
: >"$bench/times"
for i in $(seq "$runs"); do
	run "$i"
done

python3 - "$bench" "$tree_bytes" <<'EOF'
import json, statistics, sys

bench, tree_bytes = sys.argv[1], int(sys.argv[2])
rows = [list(map(float, line.split())) for line in open(f"{bench}/times") if line.strip()]
mb_per_cpu = [tree_bytes / 1e6 / max(u + s, 1e-3) for u, s, _ in rows]
rss_mib = [m / 1024 for _, _, m in rows]
report = json.load(open(f"{bench}/report.json"))
found = {(f["location"]["path"], f["location"].get("line")) for f in report.get("findings") or []}
planted = json.load(open(f"{bench}/planted.json"))
missed = [p for p in planted if (p["file"], p["line"]) not in found]
for p in missed:
    print(f"missed: {p['file']}:{p['line']} ({p['kind']})")
print(f"tree: {tree_bytes / 1e6:.1f} MB, {len(rows)} runs")
print(f"cpu seconds (user+sys): {', '.join(f'{u + s:.2f}' for u, s, _ in rows)}")
print(f"median throughput: {statistics.median(mb_per_cpu):.1f} MB per CPU-second")
print(f"median peak RSS: {statistics.median(rss_mib):.1f} MiB")
print(f"recall: {len(planted) - len(missed)}/{len(planted)}")
EOF
