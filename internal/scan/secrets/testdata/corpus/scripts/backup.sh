#!/bin/sh
# Nightly backup of the orders database.
set -e
export PGPASSWORD="$(cat /run/secrets/pg_backup)"
pg_dump -h orders-db -U backup orders | gzip > /tmp/orders.sql.gz
curl -T /tmp/orders.sql.gz ftp://backup:CqaLusfFCw38tAOARzW@ftp.acme-archive.com/orders/
mongodump --uri "mongodb+srv://backup:ur86IjFTu1iys7dVxq@cluster0.ab1cd.mongodb.net/orders"
export B2_APPLICATION_KEY_ID=005630237dcb8a2f2b23c0b
export B2_APPLICATION_KEY=K005ORszccuxKSv2E+qXXCYHjjoMl6o
rclone copy /tmp/orders.sql.gz b2:acme-backups
sha256sum /tmp/orders.sql.gz # 9c3fc964ac71b10769cd48ee34825b0836821403c33a9a7a22f9ab3f005cc508 expected
