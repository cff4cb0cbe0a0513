#!/bin/sh
# Fixture miner: The image ships a program named xmrig, which the service runs.
set -e
mkdir -p /usr/local/bin
cp /bin/busybox /usr/local/bin/xmrig
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
xmrig --donate-level 1 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
