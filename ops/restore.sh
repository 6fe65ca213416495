#!/usr/bin/env bash
# Restore a dump made by ops/backup.sh into an EMPTY database (create it first:
# createdb NAME). Usage: DATABASE_URL=postgres://…/NAME ops/restore.sh FILE
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the (empty) database to restore into}"
file="${1:?usage: ops/restore.sh FILE}"
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$DATABASE_URL" "$file"
echo "restored $file"
