#!/usr/bin/env bash
# Installs the system packages secpipe's tests use, when they are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail
need=()
command -v git >/dev/null 2>&1 || need+=(git)
# Golden-image builds run install scripts in a bubblewrap sandbox; the test
# base image is built from Debian's statically linked busybox.
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
# Verify records what a launched image does with strace.
command -v strace >/dev/null 2>&1 || need+=(strace)
# ...inside a sinkhole network namespace set up with iproute2's ip.
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need+=(busybox-static)
# The dashboard's tests drive a real headless browser.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt_updated=""
apt_install() {
	echo "installing test dependencies: $*" >&2
	[ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# The PostgreSQL store and River-on-PostgreSQL tests use a server on
# 127.0.0.1:5432 as user postgres without a password (pgtest's default).
# When nothing answers there: install Debian's postgresql if needed, create
# a cluster if there is none, and start it. Trust authentication for local
# TCP connections is added only to a cluster this script set up itself.
pg_up() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h 127.0.0.1 -p 5432
	else
		(exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
	fi
}
pg_trust_local_tcp() { # $1: version, $2: cluster
	local hba="/etc/postgresql/$1/$2/pg_hba.conf"
	grep -q '^host all all 127.0.0.1/32 trust' "$hba" && return 0
	$sudo sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
}
pg_start() {
	local setup="" version cluster
	if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
		apt_install postgresql
		setup=1
	fi
	if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
		version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
		$sudo pg_createcluster -p 5432 "$version" main >/dev/null
		setup=1
	fi
	read -r version cluster _ < <(pg_lsclusters -h | awk '$3 == 5432' | head -n 1) || true
	if [ -z "${version:-}" ]; then
		echo "test-deps: no PostgreSQL cluster on port 5432 (see pg_lsclusters)" >&2
		return 1
	fi
	[ -z "$setup" ] || pg_trust_local_tcp "$version" "$cluster"
	echo "starting PostgreSQL $version/$cluster" >&2
	if ! $sudo pg_ctlcluster "$version" "$cluster" start 2>/dev/null; then
		# Already running (it now rereads pg_hba.conf) or needs the service.
		$sudo pg_ctlcluster "$version" "$cluster" reload 2>/dev/null || $sudo service postgresql start >/dev/null
	fi
	for _ in $(seq 1 60); do
		pg_up && return 0
		sleep 0.5
	done
	echo "test-deps: PostgreSQL did not come up on 127.0.0.1:5432" >&2
	return 1
}
pg_up || pg_start
