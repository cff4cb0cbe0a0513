#!/usr/bin/env bash
# Configuration-scan benchmark: `secpipe scan config` over a Debian minbase
# root filesystem, as a directory and as a tarball. Prints the median wall
# time, CPU time (user+sys) and peak RSS over RUNS runs after a warm-up.
# The target is every rootfs check in under 2 s.
#
# The rootfs is built once with `mmdebstrap --variant=minbase bookworm`
# (installed with apt-get when missing; needs root and the Debian mirror)
# and cached with its tarball under ${TMPDIR:-/tmp}/secpipe-bench.
# Environment:
#   RUNS         timed runs (default 5, at least 5)
#   BENCH_DIR    cache directory (default ${TMPDIR:-/tmp}/secpipe-bench)
#   SECPIPE_BIN  a secpipe binary to time instead of building ./cmd/secpipe
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
((runs >= 5)) || runs=5
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
rootfs=$bench/minbase
tarball=$bench/minbase.tar

need_apt() {
	echo "installing $1 with apt-get" >&2
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
[[ -x /usr/bin/time ]] || need_apt time
command -v mmdebstrap >/dev/null || [[ -d $rootfs ]] || need_apt mmdebstrap
for tool in python3 go tar; do
	command -v "$tool" >/dev/null || { echo "bench-config: $tool is required" >&2; exit 2; }
done

mkdir -p "$bench"
if [[ ! -d $rootfs ]]; then
	echo "building a Debian minbase rootfs in $rootfs" >&2
	rm -rf "$rootfs.tmp"
	mmdebstrap --quiet --variant=minbase bookworm "$rootfs.tmp" >&2
	mv "$rootfs.tmp" "$rootfs"
	rm -f "$tarball"
fi
if [[ ! -f $tarball ]]; then
	echo "packing $tarball" >&2
	tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
fi

bin=${SECPIPE_BIN:-}
if [[ -z $bin ]]; then
	bin=$bench/secpipe
	go build -o "$bin" ./cmd/secpipe
fi
if ! "$bin" scan config --help >/dev/null 2>&1; then
	echo "bench-config: $bin has no 'scan config' command" >&2
	exit 2
fi

# run LABEL TARGET: scans TARGET once; appends "wall user sys maxrss_kib"
# to $bench/config-times.LABEL.
run() {
	local label=$1 target=$2 status=0
	/usr/bin/time -o "$bench/config-time" -f '%e %U %S %M' \
		"$bin" scan config "$target" --format json --output "$bench/config-report.$label.json" \
		2>"$bench/config-stderr" || status=$?
	# Exit 1 means the gate failed on the findings, which is expected here.
	if ((status > 1)); then
		echo "bench-config: secpipe exited $status on $target" >&2
		cat "$bench/config-stderr" >&2
		exit 2
	fi
	tail -n 1 "$bench/config-time" >>"$bench/config-times.$label"
}

for label in dir tar; do
	target=$rootfs
	[[ $label == tar ]] && target=$tarball
	: >"$bench/config-times.$label"
	run "$label" "$target"
	: >"$bench/config-times.$label"
	for _ in $(seq "$runs"); do
		run "$label" "$target"
	done
done

python3 - "$bench" "$rootfs" "$tarball" <<'EOF'
import json, os, statistics, sys

bench, rootfs, tarball = sys.argv[1:4]
size = sum(os.lstat(os.path.join(d, f)).st_size for d, _, fs in os.walk(rootfs) for f in fs)
count = sum(len(ds) + len(fs) for _, ds, fs in os.walk(rootfs))
print(f"rootfs: {size / 1e6:.0f} MB in {count} entries; tarball {os.path.getsize(tarball) / 1e6:.0f} MB")
for label, target in (("dir", rootfs), ("tar", tarball)):
    rows = [list(map(float, l.split())) for l in open(f"{bench}/config-times.{label}") if l.strip()]
    wall = statistics.median(r[0] for r in rows)
    cpu = statistics.median(r[1] + r[2] for r in rows)
    rss = statistics.median(r[3] for r in rows) / 1024
    report = json.load(open(f"{bench}/config-report.{label}.json"))
    findings = report.get("findings") or []
    rules = len({f["rule_id"] for f in findings})
    verdict = "under" if wall < 2 else "OVER"
    print(f"{label}: {len(rows)} runs, median wall {wall:.2f} s ({verdict} the 2 s target), "
          f"cpu {cpu:.2f} s, peak RSS {rss:.1f} MiB; {len(findings)} findings from {rules} rules")
EOF
