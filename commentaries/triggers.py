"""Database triggers that must outlive SQLite's table rebuilds.

On SQLite, Django alters a table by rebuilding it, which drops its triggers.
The former-address trigger is therefore re-created (if missing) after every
`migrate`; migration 0002 creates it the first time. PostgreSQL alters tables
in place and keeps its triggers.
"""

SQLITE_FORMER_ADDRESS_TRIGGER = r"""
CREATE TRIGGER IF NOT EXISTS commentaries_remember_address
AFTER UPDATE OF slug, year, series_id ON commentaries_commentary
FOR EACH ROW WHEN OLD.year IS NOT NULL
  AND (OLD.slug IS NOT NEW.slug OR OLD.year IS NOT NEW.year OR OLD.series_id IS NOT NEW.series_id)
BEGIN
  INSERT INTO commentaries_formeraddress (commentary_id, series_id, year, slug, created_at)
  VALUES (NEW.id, OLD.series_id, OLD.year, OLD.slug, strftime('%Y-%m-%d %H:%M:%f', 'now'))
  ON CONFLICT (series_id, year, slug)
  DO UPDATE SET commentary_id = excluded.commentary_id, created_at = excluded.created_at;
END;
"""


def ensure_triggers(*, using="default", **kwargs):
    """post_migrate receiver."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = connection.introspection.table_names()
    if "commentaries_formeraddress" not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_FORMER_ADDRESS_TRIGGER)
