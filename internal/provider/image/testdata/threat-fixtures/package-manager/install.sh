#!/bin/sh
# Fixture package-manager: The image ships a program named apt-get, which the service runs to install a package.
set -e
mkdir -p /usr/local/bin
cp /bin/busybox /usr/local/bin/apt-get
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
apt-get install -y curl 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
