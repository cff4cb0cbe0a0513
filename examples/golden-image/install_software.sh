#!/bin/sh
# Installs the storefront's runtime into the golden image.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends nodejs ca-certificates
mkdir -p /opt/storefront
tar -xzf app.tar.gz -C /opt/storefront
rm -rf /var/lib/apt/lists/*
