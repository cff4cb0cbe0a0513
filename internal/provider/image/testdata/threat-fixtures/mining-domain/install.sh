#!/bin/sh
# Fixture mining-domain: The service looks up a public mining pool (on the default list).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
nslookup pool.minexmr.com > /dev/null
SERVICE
chmod 755 /usr/local/bin/service
