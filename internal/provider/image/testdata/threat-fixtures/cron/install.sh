#!/bin/sh
# Fixture cron: The service installs a cron job.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
mkdir -p /etc/cron.d
echo '* * * * * root /tmp/x' > /etc/cron.d/job
SERVICE
chmod 755 /usr/local/bin/service
