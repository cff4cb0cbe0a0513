#!/bin/sh
# Fixture portscan: The service probes 31 ports of one host.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
for p in $(seq 1000 1030); do
	telnet 198.51.100.9 "$p" < /dev/null 2> /dev/null
done
true
SERVICE
chmod 755 /usr/local/bin/service
