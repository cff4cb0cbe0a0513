#!/bin/sh
# Fixture etc-write: The service changes a file under /etc.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo 'Welcome' > /etc/motd
SERVICE
chmod 755 /usr/local/bin/service
