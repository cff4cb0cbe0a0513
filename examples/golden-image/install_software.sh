#!/bin/sh
# Installs the storefront into the golden image. The Launch action runs it
# as root in the build sandbox, after the base is in place, with
# BuildArtifact (app.tar.gz, this script, fixtures/) as its read-only
# working directory.
set -eu

# On a real Debian base (debian:stretch or debian:bookworm, with
# `network: install`), the storefront's runtime comes from Debian. The
# stand-in base of this example has no apt, and no network.
if command -v apt-get >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends nodejs ca-certificates
	rm -rf /var/lib/apt/lists/*
fi

# The storefront, owned by root whoever built the tarball.
mkdir -p /opt/storefront
tar -xzo -f app.tar.gz -C /opt/storefront
mkdir -p /usr/local/bin
cat > /usr/local/bin/storefront <<'LAUNCHER'
#!/bin/sh
exec node /opt/storefront/src/server.js "$@"
LAUNCHER
chmod 755 /usr/local/bin/storefront
