#!/usr/bin/env bash
# Proves that a backup restores: builds a demo database, backs it up with
# ops/backup.sh, restores the dump into a second, fresh database with
# ops/restore.sh, then compares the two: row counts of every table and the
# full content export (export_archive) must be identical.
# Usage: ops/check-backup-restore.sh [SERVER_URL] [NAME_PREFIX]
#   SERVER_URL default postgres://postgres@127.0.0.1:5432, NAME_PREFIX default pacforum_backup_check
set -euo pipefail
cd "$(dirname "$0")/.."
server="${1:-postgres://postgres@127.0.0.1:5432}"
prefix="${2:-pacforum_backup_check}"
source_db="${prefix}_source" restored_db="${prefix}_restored"
work="$(mktemp -d)"
python=.venv/bin/python
export DEBUG=true PGOPTIONS="-c client_min_messages=warning"
cleanup() {
  psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $source_db" -c "DROP DATABASE IF EXISTS $restored_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$server/postgres" -qv ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS $source_db" -c "DROP DATABASE IF EXISTS $restored_db" \
  -c "CREATE DATABASE $source_db" -c "CREATE DATABASE $restored_db" >/dev/null

DATABASE_URL="$server/$source_db" $python manage.py migrate --noinput >/dev/null
DATABASE_URL="$server/$source_db" $python manage.py load_demo >/dev/null
DATABASE_URL="$server/$source_db" $python manage.py shell -c "
from subscriptions.models import SubscriptionRequest
from commentaries.models import Series
r = SubscriptionRequest.objects.create(name='Backup Check', email='backup@example.org',
    consent_text='Consent.', consent_version='1')
r.series.set(Series.objects.all())" >/dev/null

DATABASE_URL="$server/$source_db" ops/backup.sh "$work/pacforum.dump" >/dev/null
DATABASE_URL="$server/$restored_db" ops/restore.sh "$work/pacforum.dump" >/dev/null

count_rows() {
  psql "$server/$1" -tAc "
    SELECT string_agg(format('%s=%s', table_name,
      (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', table_name), false, true, '')))[1]::text), ' ' ORDER BY table_name)
    FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
}
count_rows "$source_db" > "$work/source.counts"
count_rows "$restored_db" > "$work/restored.counts"
DATABASE_URL="$server/$source_db" $python manage.py export_archive "$work/source.jsonl" --with-subscriptions >/dev/null
DATABASE_URL="$server/$restored_db" $python manage.py export_archive "$work/restored.jsonl" --with-subscriptions >/dev/null

if ! diff -u "$work/source.counts" "$work/restored.counts"; then
  echo "backup/restore: row counts differ"; exit 1
fi
if ! cmp -s "$work/source.jsonl" "$work/restored.jsonl"; then
  diff -u "$work/source.jsonl" "$work/restored.jsonl" | head -40
  echo "backup/restore: content differs"; exit 1
fi
tables=$(wc -w < "$work/source.counts")
records=$(wc -l < "$work/source.jsonl")
grep -q "commentaries_commentary=[1-9]" "$work/source.counts" || { echo "backup/restore: the demo database is empty"; exit 1; }
echo "backup/restore: OK ($tables tables with identical row counts, $records identical archive records)"
