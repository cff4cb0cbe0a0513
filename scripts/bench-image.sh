#!/usr/bin/env bash
# Golden-image benchmark: `secpipe image build` (base + install script in the
# bubblewrap sandbox + config/secrets assessment + gate + publish), medians
# of RUNS warm runs:
#   1. a busybox fixture image (Debian's busybox-static): target under 2 s;
#   2. a Debian minbase image with one package installed (ca-certificates,
#      from the Debian mirror), warm base: target under 30 s. The base is
#      built once with mmdebstrap (installed with apt-get when missing) and
#      cached; set SKIP_DEBIAN=1 to leave this part out.
# Environment: RUNS (default 5), BENCH_DIR, SECPIPE_BIN, SUITE (bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
suite=${SUITE:-bookworm}
mkdir -p "$bench/image-ctx"
bash scripts/test-deps.sh
need_apt() {
	echo "installing $1 with apt-get" >&2
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
[[ -x /usr/bin/time ]] || need_apt time
bin=${SECPIPE_BIN:-}
if [[ -z $bin ]]; then
	bin=$bench/secpipe
	go build -trimpath -o "$bin" ./cmd/secpipe
fi
export SECPIPE_IMAGE_DIR=$bench/images
cat >"$bench/image-ctx/busybox.sh" <<'SH'
#!/bin/sh
set -eu
mkdir -p /opt/app
echo 1.0.0 > /opt/app/VERSION
SH
cat >"$bench/image-ctx/debian.sh" <<'SH'
#!/bin/sh
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null
rm -rf /var/lib/apt/lists/*
SH

# timed LABEL ARGS...: one build, appending "wall user sys maxrss_kib".
timed() {
	local label=$1
	shift
	/usr/bin/time -o "$bench/image-time" -f '%e %U %S %M' "$bin" image build "$@" >"$bench/image-out" 2>&1 || {
		cat "$bench/image-out" >&2
		exit 2
	}
	tail -n 1 "$bench/image-time" >>"$bench/image-times.$label"
}

labels=(busybox)
: >"$bench/image-times.busybox"
for i in $(seq 0 "$runs"); do
	timed busybox --base busybox --install "$bench/image-ctx/busybox.sh" --scan config,secrets --publish bench-busybox
	((i == 0)) && : >"$bench/image-times.busybox"
done
if [[ -z ${SKIP_DEBIAN:-} ]]; then
	command -v mmdebstrap >/dev/null || need_apt mmdebstrap
	labels+=(debian)
	: >"$bench/image-times.debian"
	debruns=$(( runs < 3 ? runs : 3 ))
	for i in $(seq 0 "$debruns"); do
		timed debian --base "debian:$suite" --install "$bench/image-ctx/debian.sh" --network install \
			--scan config --fail-on critical --publish bench-debian
		((i == 0)) && : >"$bench/image-times.debian"
	done
fi

python3 - "$bench" "${labels[@]}" <<'PY'
import statistics, sys
bench, labels = sys.argv[1], sys.argv[2:]
targets = {"busybox": 2.0, "debian": 30.0}
for label in labels:
    rows = [list(map(float, l.split())) for l in open(f"{bench}/image-times.{label}") if l.strip()]
    wall = statistics.median(r[0] for r in rows)
    cpu = statistics.median(r[1] + r[2] for r in rows)
    rss = statistics.median(r[3] for r in rows) / 1024
    verdict = "under" if wall < targets[label] else "OVER"
    print(f"{label}: {len(rows)} warm builds, median wall {wall:.2f} s ({verdict} the {targets[label]:.0f} s target), "
          f"cpu {cpu:.2f} s, peak RSS {rss:.0f} MiB")
PY
