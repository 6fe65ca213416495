#!/usr/bin/env bash
# Back up the PostgreSQL database named by DATABASE_URL to a compressed,
# restorable dump (pg_dump custom format). Usage: ops/backup.sh [FILE]
# Default file: backups/pacforum-YYYYmmddTHHMMSSZ.dump. See docs/backup.md.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
file="${1:-backups/pacforum-$(date -u +%Y%m%dT%H%M%SZ).dump}"
mkdir -p "$(dirname "$file")"
# --no-owner/--no-privileges: the dump restores under whichever role runs pg_restore.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$DATABASE_URL"
pg_restore --list "$file.partial" >/dev/null   # a truncated dump fails here, not at restore time
mv "$file.partial" "$file"
echo "$file"
