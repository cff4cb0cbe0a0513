#!/bin/sh
# Fixture unusual-port: The service connects to 8080 while the image declares only 443 (allowed-ports.txt).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo x | telnet 198.51.100.9 8080 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
