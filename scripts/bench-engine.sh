#!/usr/bin/env bash
# Engine benchmark: the three targets of the pipeline engine on SQLite with
# the River dispatcher (and the in-memory dispatcher for comparison), as Go
# benchmarks run COUNT times; prints the median of each metric.
#   - overhead per no-op action, p50: at most 5 ms   (BenchmarkNoopAction)
#   - no-op actions per second: at least 500         (BenchmarkThroughput)
#   - a 10-stage no-op pipeline, p50: under 200 ms   (BenchmarkTenStages)
# Then times `secpipe run` of a 10-stage pipeline of shell `true` actions end
# to end (process start, store, git-less run), median of RUNS runs.
# Environment: COUNT (default 5), RUNS (default 5), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
runs=${RUNS:-5}
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
mkdir -p "$bench"
out=$bench/engine-bench.txt
go test -run '^$' -bench 'NoopAction|Throughput|TenStages' -benchtime 2s -count "$count" ./internal/engine | tee "$out" >&2

bin=$bench/secpipe
go build -trimpath -o "$bin" ./cmd/secpipe
repo=$bench/engine-repo
rm -rf "$repo" && mkdir -p "$repo"
{
	echo "version: 1"
	echo "name: noop"
	echo "stages:"
	for i in $(seq 10); do
		echo "  - {name: S$i, actions: [{name: A, provider: shell, config: {commands: [\"true\"]}}]}"
	done
} >"$repo/secpipe.yml"
: >"$bench/engine-run-times"
for i in $(seq 0 "$runs"); do
	start=$(date +%s.%N)
	"$bin" run "$repo" >/dev/null
	end=$(date +%s.%N)
	((i == 0)) || echo "$start $end" >>"$bench/engine-run-times"
done

python3 - "$out" "$bench/engine-run-times" <<'PY'
import re, statistics, sys
from collections import defaultdict
metrics = defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r"(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)", line)
    if not m:
        continue
    name, rest = m.groups()
    for value, unit in re.findall(r"([\d.]+) (\S+)", rest):
        metrics[(name, unit)].append(float(value))
targets = {"p50-ms/action": ("<=", 5), "actions/s": (">=", 500), "p50-ms/pipeline": ("<", 200)}
for (name, unit), values in sorted(metrics.items()):
    if unit not in targets:
        continue
    med = statistics.median(values)
    op, limit = targets[unit]
    ok = {"<=": med <= limit, ">=": med >= limit, "<": med < limit}[op]
    print(f"{name}: median {med:.2f} {unit} over {len(values)} runs (target {op} {limit}: {'met' if ok else 'NOT met'})")
rows = [list(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
walls = [b - a for a, b in rows]
print(f"secpipe run, 10 shell stages: median {statistics.median(walls) * 1000:.0f} ms wall over {len(walls)} runs")
PY
