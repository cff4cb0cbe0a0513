#!/bin/sh
# Smoke test run inside the published golden image by the Verify action
# (and `secpipe image verify`): the storefront is installed and, where the
# image has its runtime, starts and answers.
set -eu
test -f /opt/storefront/src/server.js
test -f /opt/storefront/src/config.js
test -x /usr/local/bin/storefront
echo "storefront installed in /opt/storefront"

if ! command -v node >/dev/null 2>&1; then
	# The stand-in Debian 9 base of this example carries no Node.js.
	echo "no node in this image: checked the installation only"
	exit 0
fi
PORT=8080 storefront &
pid=$!
tries=0
until wget -q -O - http://127.0.0.1:8080/ 2>/dev/null | grep -q 'storefront ok'; do
	tries=$((tries + 1))
	if [ "$tries" -ge 50 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "the storefront did not answer on port 8080" >&2
		kill "$pid" 2>/dev/null || true
		exit 1
	fi
	sleep 0.2
done
kill "$pid"
echo "storefront answered on port 8080"
