#!/bin/sh
# Fixture c2-domain: The service looks up GuardDuty's test command-and-control domain (on the default list).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
nslookup guarddutyc2activityb.com > /dev/null
SERVICE
chmod 755 /usr/local/bin/service
