#!/usr/bin/env bash
# Vulnerability-scan benchmark. Two figures, medians over RUNS runs after a
# warm-up, each in one process:
#   1. `secpipe db import` of the Go vulnerability database's all.zip
#      (target: under 2 s);
#   2. `secpipe scan vulns` of the 21 go.mod/go.sum files of
#      ../shared/bench/vulns-inputs against that database
#      (target: at most 0.25 CPU-seconds and 50 MiB peak RSS).
# Environment:
#   RUNS         timed runs (default 5, at least 5)
#   SHARED       the shared folder (default ../shared beside the checkout)
#   BENCH_DIR    scratch directory (default ${TMPDIR:-/tmp}/secpipe-bench)
#   SECPIPE_BIN  a secpipe binary to time instead of building ./cmd/secpipe
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
((runs >= 5)) || runs=5
shared=${SHARED:-../shared}
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
zip=$shared/data/go-vulndb/all.zip
inputs=$shared/bench/vulns-inputs
for f in "$zip" "$inputs"; do
	[[ -e $f ]] || { echo "bench-vulns: $f is missing (set SHARED)" >&2; exit 2; }
done
if [[ ! -x /usr/bin/time ]]; then
	echo "installing time with apt-get" >&2
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

mkdir -p "$bench"
bin=${SECPIPE_BIN:-}
if [[ -z $bin ]]; then
	bin=$bench/secpipe
	go build -trimpath -o "$bin" ./cmd/secpipe
fi
db=$bench/vulndb
export SECPIPE_DB_DIR=$db

# timed LABEL CMD...: runs CMD once, appending "wall user sys maxrss_kib"
# to $bench/vulns-times.LABEL; exit status 1 (a failed gate) is expected.
timed() {
	local label=$1 status=0
	shift
	/usr/bin/time -o "$bench/vulns-time" -f '%e %U %S %M' "$@" >"$bench/vulns-out" 2>&1 || status=$?
	if ((status > 1)); then
		echo "bench-vulns: exit $status from $*" >&2
		cat "$bench/vulns-out" >&2
		exit 2
	fi
	tail -n 1 "$bench/vulns-time" >>"$bench/vulns-times.$label"
}

for label in import scan; do
	: >"$bench/vulns-times.$label"
	for i in $(seq 0 "$runs"); do
		if [[ $label == import ]]; then
			rm -rf "$db"
			timed import "$bin" db import "$zip"
		else
			timed scan "$bin" scan vulns "$inputs" --format json --output "$bench/vulns-report.json"
		fi
		# The first run warms the page cache and is not counted.
		((i == 0)) && : >"$bench/vulns-times.$label"
	done
done

python3 - "$bench" "$inputs" <<'PY'
import json, os, statistics, sys

bench, inputs = sys.argv[1:3]
mods = sum(1 for d, _, fs in os.walk(inputs) for f in fs if f == "go.mod")
targets = {"import": (2.0, None, None), "scan": (None, 0.25, 50)}
for label in ("import", "scan"):
    rows = [list(map(float, l.split())) for l in open(f"{bench}/vulns-times.{label}") if l.strip()]
    wall = statistics.median(r[0] for r in rows)
    cpu = statistics.median(r[1] + r[2] for r in rows)
    rss = statistics.median(r[3] for r in rows) / 1024
    line = f"{label}: {len(rows)} runs, median wall {wall:.3f} s, cpu {cpu:.3f} s, peak RSS {rss:.1f} MiB"
    max_wall, max_cpu, max_rss = targets[label]
    checks = []
    if max_wall is not None:
        checks.append(f"wall {'under' if wall < max_wall else 'OVER'} {max_wall} s")
    if max_cpu is not None:
        checks.append(f"cpu {'within' if cpu <= max_cpu else 'OVER'} {max_cpu} s")
    if max_rss is not None:
        checks.append(f"RSS {'within' if rss <= max_rss else 'OVER'} {max_rss} MiB")
    print(line + " (" + ", ".join(checks) + ")")
report = json.load(open(f"{bench}/vulns-report.json"))
findings = report.get("findings") or []
print(f"scan: {mods} go.mod files (with their go.sum), {len(findings)} findings, "
      f"{len({f['rule_id'] for f in findings})} advisories")
PY
