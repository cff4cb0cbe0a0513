#!/bin/sh
# Fixture spambot: The service connects to a mail server's SMTP port.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
echo 'EHLO fixture.example' | telnet 198.51.100.25 25 2> /dev/null || true
SERVICE
chmod 755 /usr/local/bin/service
