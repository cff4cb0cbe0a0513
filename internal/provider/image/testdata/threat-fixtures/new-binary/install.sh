#!/bin/sh
# Fixture new-binary: The service copies a binary to /tmp and runs it.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
cp /bin/busybox /tmp/true
/tmp/true
SERVICE
chmod 755 /usr/local/bin/service
