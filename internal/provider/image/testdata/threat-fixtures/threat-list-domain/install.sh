#!/bin/sh
# Fixture threat-list-domain: The service looks up a domain on the fixture's own threat list (custom.txt).
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
nslookup evil.example > /dev/null
SERVICE
chmod 755 /usr/local/bin/service
