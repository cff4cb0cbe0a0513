#!/bin/sh
# Fixture mining-pool-port: The service connects to a stratum port of a pool given by address.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo '{"method":"login"}' | telnet 198.51.100.7 3333 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
