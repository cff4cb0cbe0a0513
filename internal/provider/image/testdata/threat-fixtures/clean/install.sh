#!/bin/sh
# Fixture clean: No finding: the service writes its own log under /tmp and reads its configuration.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo "service started" > /tmp/service.log
cat /etc/os-release > /dev/null
SERVICE
chmod 755 /usr/local/bin/service
