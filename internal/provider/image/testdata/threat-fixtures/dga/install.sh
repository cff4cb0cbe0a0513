#!/bin/sh
# Fixture dga: The service looks up an algorithmically generated domain.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
nslookup xjwqkzvbnqpltrhg.com > /dev/null
SERVICE
chmod 755 /usr/local/bin/service
