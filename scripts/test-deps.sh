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
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing test dependencies: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
