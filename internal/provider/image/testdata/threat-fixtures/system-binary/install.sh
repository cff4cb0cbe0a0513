#!/bin/sh
# Fixture system-binary: The service drops a program into /usr/bin.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
cp /bin/busybox /usr/bin/helper
SERVICE
chmod 755 /usr/local/bin/service
