#!/bin/sh
# Fixture metadata: The service asks the instance metadata service for credentials.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
printf 'GET /latest/meta-data/iam/security-credentials/ HTTP/1.0\r\n\r\n' |
	telnet 169.254.169.254 80 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
