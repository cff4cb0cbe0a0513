#!/bin/sh
# Fixture authorized-keys: The service adds an SSH key for root.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
mkdir -p /root/.ssh
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOnly fixture' >> /root/.ssh/authorized_keys
SERVICE
chmod 755 /usr/local/bin/service
