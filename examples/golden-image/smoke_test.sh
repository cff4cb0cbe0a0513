#!/bin/sh
# Smoke test run inside the golden image by `secpipe image verify`: the
# storefront is installed and its runtime starts.
set -eu
test -f /opt/storefront/src/server.js
node --version
