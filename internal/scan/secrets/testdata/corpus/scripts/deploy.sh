#!/usr/bin/env bash
set -euo pipefail

: "${DEPLOY_ENV:?set DEPLOY_ENV}"
REGISTRY=registry.acme.internal
export DOCKER_PASSWORD="YVusM?*L8d4TGb0?Oz"
echo "$DOCKER_PASSWORD" | docker login "$REGISTRY" -u ci --password-stdin

export AWS_ACCESS_KEY_ID=ASIAVYO6NTNUF5R4YOTR
export AWS_SECRET_ACCESS_KEY=VcGjrfE7mDY877iEw2U52mJf0xj+rSrG3eZ0K+lF
export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEItjlpCHw86KSUS0w6k1MNwkbeqarEv4azqlhkIl3RbWBa6b/ojRTD5Zjxhj63jXjWqIC9HkzM3/GuFA4fLS7Mjc5DEum8Pefi0pIKFat0MZm/+UFVD3iji0VMHzevuBNCw6Fk8KekKCFC6w7j0XkNAR3CPf5lZuP+c1n3/DyevVO2vGTAqTdP1ddZQHGuFnByqFEZ1RMivqW8O02dkKZvaSVJyRLZWb2JAXqrfiVTV9gEisYpUeaWDbe+ubce/RCDTu31f441rfc7voxYTjcfvvsjqY1rCivCZXPTknI/7IXfZGcYAL809IBB8vw3fjzdTTWDfKC9JD0tMNZjjn1

mysql -h db.acme.internal -u deploy --password='Acm3mu5t@ng83' app < migrations/latest.sql
PGPASSWORD="kIgAh7J-_SBA_UW9A" psql -h pg.acme.internal -U deploy -c 'select 1'
curl -fsS -u "admin:atlas_2023Juniper" https://jenkins.acme.internal/job/deploy/build
read -rsp "Vault password: " VAULT_PASS
ansible-playbook site.yml --vault-password-file ~/.vault_pass
export VAULT_TOKEN=hvs.CAESIpzJCI9F5sKm4WXrpBLOijtmgR_5b_Cc9vUwMmoyds_zr1Zhqge-WQxce7gQVl9De-MSdDnUs0yX_1SBN_sSuKJ
export TF_TOKEN_app_terraform_io="zULOcaiNxJfaeP.atlasv1.jxjig7P5Ao4s0EuU3GNWJGQ513LkbBqclozIGm2yeTsi3oFnl5OqHWcp9kJmAAzyAO7"
vault kv get secret/deploy/${DEPLOY_ENV}
