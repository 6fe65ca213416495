"""The database triggers as they stand now: the one definition to read.

The database keeps these things true itself, so that no code path (admin,
shell, importer, queryset.update()) can forget them:
- on PostgreSQL, the weighted full-text vector of every commentary (title A,
  summary, authors and topics B, body C), refreshed once per statement when
  bylines or topic links change in bulk;
- on both databases, a FormerAddress row whenever a piece's slug, year or
  series changes, so that the old address can redirect (301) to the new one;
- on both databases, a piece readers have seen (published or withdrawn, its
  publish time past) keeps its number, year, series and suffix, and never goes
  back to draft or review: a raw `.save()` or `UPDATE` that tries fails with
  “A published piece keeps its number, year and series.” A scheduled piece is
  not live yet, so its provisional number may still be dealt again. The one
  documented way to renumber a live piece (`services.commentary_renumber`)
  holds a row in commentaries_renumberpermit for the length of its
  transaction, which the trigger lets through;
- on PostgreSQL, the list of words of published pieces that search suggests
  from (“Did you mean …?”, `SearchWord`), once per statement (migration 0011).

PostgreSQL got them from migrations (0002 created them, 0006 rewrote the
search function); they are written here as PostgreSQL prints them back
(`pg_get_functiondef`, `pg_get_triggerdef`), and
tests/commentaries/test_triggers.py checks that the database holds exactly
these. A migration that changes one changes it here too.

On SQLite, Django alters a table by rebuilding it, which drops its triggers,
so `ensure_triggers` (a post_migrate receiver) creates any that are missing
after every `migrate`, from SQLITE_TRIGGERS; the test compares them with
`sqlite_master.sql`. PostgreSQL alters tables in place and keeps its triggers.
"""

PUBLISHED_KEEPS_NUMBER_MESSAGE = "A published piece keeps its number, year and series."

SQLITE_TRIGGERS = {
    "commentaries_published_keeps_number": r"""
CREATE TRIGGER commentaries_published_keeps_number
BEFORE UPDATE OF number, year, series_id, suffix, status ON commentaries_commentary
FOR EACH ROW WHEN OLD.status IN ('published', 'withdrawn')
  AND OLD.published_at <= strftime('%Y-%m-%d %H:%M:%f', 'now')
  AND (NEW.number IS NOT OLD.number OR NEW.year IS NOT OLD.year
       OR NEW.series_id IS NOT OLD.series_id OR NEW.suffix IS NOT OLD.suffix
       OR NEW.status NOT IN ('published', 'withdrawn'))
  AND NOT EXISTS (SELECT 1 FROM commentaries_renumberpermit WHERE commentary_id = OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'A published piece keeps its number, year and series.');
END
""",
    "commentaries_remember_address": r"""
CREATE TRIGGER commentaries_remember_address
AFTER UPDATE OF slug, year, series_id ON commentaries_commentary
FOR EACH ROW WHEN OLD.year IS NOT NULL
  AND (OLD.slug IS NOT NEW.slug OR OLD.year IS NOT NEW.year OR OLD.series_id IS NOT NEW.series_id)
BEGIN
  INSERT INTO commentaries_formeraddress (commentary_id, series_id, year, slug, created_at)
  VALUES (NEW.id, OLD.series_id, OLD.year, OLD.slug, strftime('%Y-%m-%d %H:%M:%f', 'now'))
  ON CONFLICT (series_id, year, slug)
  DO UPDATE SET commentary_id = excluded.commentary_id, created_at = excluded.created_at;
END
""",
}

# As PostgreSQL prints them back (pg_get_functiondef).
POSTGRESQL_FUNCTIONS = {
    "commentaries_author_touch_search": r"""
CREATE OR REPLACE FUNCTION public.commentaries_author_touch_search()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE commentaries_commentary SET search_vector = NULL
  WHERE id IN (SELECT commentary_id FROM commentaries_byline WHERE author_id = NEW.id);
  RETURN NULL;
END
$function$
""",
    "commentaries_byline_touch_search": r"""
CREATE OR REPLACE FUNCTION public.commentaries_byline_touch_search()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE commentaries_commentary SET search_vector = NULL
    WHERE id IN (SELECT commentary_id FROM old_rows);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE commentaries_commentary SET search_vector = NULL
    WHERE id IN (SELECT commentary_id FROM new_rows);
  END IF;
  RETURN NULL;
END
$function$
""",
    "commentaries_commentary_search_vector": r"""
CREATE OR REPLACE FUNCTION public.commentaries_commentary_search_vector()
 RETURNS trigger
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B')
    || setweight(to_tsvector('english', coalesce((
         SELECT string_agg((SELECT a.name FROM authors_author a WHERE a.id = b.author_id), ' '
                           ORDER BY b.position)
         FROM commentaries_byline b
         WHERE b.commentary_id = NEW.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce((
         SELECT string_agg((SELECT t.name FROM commentaries_topic t WHERE t.id = tc.tag_id), ' '
                           ORDER BY tc.tag_id)
         FROM commentaries_taggedcommentary tc
         WHERE tc.content_object_id = NEW.id), '')), 'B')
    || setweight(to_tsvector('english', commentaries_strip_tags(NEW.body)), 'C');
  RETURN NEW;
END
$function$
""",
    "commentaries_published_keeps_number": r"""
CREATE OR REPLACE FUNCTION public.commentaries_published_keeps_number()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF OLD.status IN ('published', 'withdrawn')
     AND OLD.published_at <= now()
     AND (NEW.number IS DISTINCT FROM OLD.number OR NEW.year IS DISTINCT FROM OLD.year
          OR NEW.series_id IS DISTINCT FROM OLD.series_id
          OR NEW.suffix IS DISTINCT FROM OLD.suffix
          OR NEW.status NOT IN ('published', 'withdrawn'))
     AND NOT EXISTS (
       SELECT 1 FROM commentaries_renumberpermit WHERE commentary_id = OLD.id)
  THEN
    RAISE EXCEPTION 'A published piece keeps its number, year and series.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$function$
""",
    "commentaries_remember_address": r"""
CREATE OR REPLACE FUNCTION public.commentaries_remember_address()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  INSERT INTO commentaries_formeraddress (commentary_id, series_id, year, slug, created_at)
  VALUES (NEW.id, OLD.series_id, OLD.year, OLD.slug, now())
  ON CONFLICT (series_id, year, slug)
  DO UPDATE SET commentary_id = EXCLUDED.commentary_id, created_at = EXCLUDED.created_at;
  RETURN NULL;
END
$function$
""",
    "commentaries_strip_tags": r"""
CREATE OR REPLACE FUNCTION public.commentaries_strip_tags(html text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g')
$function$
""",
    "commentaries_taggedcommentary_touch_search": r"""
CREATE OR REPLACE FUNCTION public.commentaries_taggedcommentary_touch_search()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE commentaries_commentary SET search_vector = NULL
    WHERE id IN (SELECT content_object_id FROM old_rows);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE commentaries_commentary SET search_vector = NULL
    WHERE id IN (SELECT content_object_id FROM new_rows);
  END IF;
  RETURN NULL;
END
$function$
""",
    "commentaries_topic_touch_search": r"""
CREATE OR REPLACE FUNCTION public.commentaries_topic_touch_search()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE commentaries_commentary SET search_vector = NULL
  WHERE id IN (SELECT content_object_id FROM commentaries_taggedcommentary WHERE tag_id = NEW.id);
  RETURN NULL;
END
$function$
""",
    "commentaries_piece_words": r"""
CREATE OR REPLACE FUNCTION public.commentaries_piece_words(piece_id bigint, title text, summary text, body text)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
 SET jit TO 'off'
AS $function$
  SELECT word
  FROM unnest(tsvector_to_array(to_tsvector('simple',
    coalesce(title, '') || ' ' || coalesce(summary, '') || ' '
    || coalesce((SELECT string_agg((SELECT a.name FROM authors_author a WHERE a.id = b.author_id), ' ')
                 FROM commentaries_byline b WHERE b.commentary_id = piece_id), '') || ' '
    || coalesce((SELECT string_agg((SELECT t.name FROM commentaries_topic t WHERE t.id = tc.tag_id), ' ')
                 FROM commentaries_taggedcommentary tc WHERE tc.content_object_id = piece_id), '')
    || ' ' || regexp_replace(commentaries_strip_tags(body), '&[#[:alnum:]]+;', ' ', 'g')))) AS word
  WHERE word ~ '^[[:alpha:]]{3,40}$'
$function$
""",
    "commentaries_remember_words": r"""
CREATE OR REPLACE FUNCTION public.commentaries_remember_words()
 RETURNS trigger
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO commentaries_searchword AS s (word, first_published_at)
    SELECT w.word, w.first_published_at
    FROM (
      SELECT word, min(n.published_at) AS first_published_at
      FROM new_rows n, commentaries_piece_words(n.id, n.title, n.summary, n.body) AS word
      WHERE n.status = 'published' AND n.published_at IS NOT NULL
      GROUP BY word
    ) w
    WHERE NOT EXISTS (
      SELECT 1 FROM commentaries_searchword k
      WHERE k.word = w.word AND k.first_published_at <= w.first_published_at)
    ORDER BY w.word
    ON CONFLICT (word) DO UPDATE SET first_published_at = excluded.first_published_at
      WHERE excluded.first_published_at < s.first_published_at;
  ELSE
    INSERT INTO commentaries_searchword AS s (word, first_published_at)
    SELECT w.word, w.first_published_at
    FROM (
      SELECT word, min(n.published_at) AS first_published_at
      FROM new_rows n JOIN old_rows o ON o.id = n.id, commentaries_piece_words(n.id, n.title, n.summary, n.body) AS word
      WHERE n.status = 'published' AND n.published_at IS NOT NULL AND (o.status, o.published_at, o.title, o.summary, o.body, o.search_vector)
          IS DISTINCT FROM (n.status, n.published_at, n.title, n.summary, n.body,
                            n.search_vector)
      GROUP BY word
    ) w
    WHERE NOT EXISTS (
      SELECT 1 FROM commentaries_searchword k
      WHERE k.word = w.word AND k.first_published_at <= w.first_published_at)
    ORDER BY w.word
    ON CONFLICT (word) DO UPDATE SET first_published_at = excluded.first_published_at
      WHERE excluded.first_published_at < s.first_published_at;
  END IF;
  RETURN NULL;
END
$function$
""",
}

# As PostgreSQL prints them (pg_get_triggerdef): one line each.
POSTGRESQL_TRIGGERS = {
    "commentaries_author_touch_search": (
        "CREATE TRIGGER commentaries_author_touch_search AFTER UPDATE OF name ON public.authors_author FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION commentaries_author_touch_search()"
    ),
    "commentaries_byline_delete_touch_search": (
        "CREATE TRIGGER commentaries_byline_delete_touch_search AFTER DELETE ON public.commentaries_byline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_byline_touch_search()"
    ),
    "commentaries_byline_insert_touch_search": (
        "CREATE TRIGGER commentaries_byline_insert_touch_search AFTER INSERT ON public.commentaries_byline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_byline_touch_search()"
    ),
    "commentaries_byline_update_touch_search": (
        "CREATE TRIGGER commentaries_byline_update_touch_search AFTER UPDATE ON public.commentaries_byline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_byline_touch_search()"
    ),
    "commentaries_commentary_search_vector": (
        "CREATE TRIGGER commentaries_commentary_search_vector BEFORE INSERT OR UPDATE OF title, summary, body, search_vector ON public.commentaries_commentary FOR EACH ROW EXECUTE FUNCTION commentaries_commentary_search_vector()"
    ),
    "commentaries_published_keeps_number": (
        "CREATE TRIGGER commentaries_published_keeps_number BEFORE UPDATE OF number, year, series_id, suffix, status ON public.commentaries_commentary FOR EACH ROW EXECUTE FUNCTION commentaries_published_keeps_number()"
    ),
    "commentaries_remember_address": (
        "CREATE TRIGGER commentaries_remember_address AFTER UPDATE OF slug, year, series_id ON public.commentaries_commentary FOR EACH ROW WHEN (((old.year IS NOT NULL) AND ((((old.slug)::text IS DISTINCT FROM (new.slug)::text) OR (old.year IS DISTINCT FROM new.year)) OR (old.series_id IS DISTINCT FROM new.series_id)))) EXECUTE FUNCTION commentaries_remember_address()"
    ),
    "commentaries_taggedcommentary_delete_touch_search": (
        "CREATE TRIGGER commentaries_taggedcommentary_delete_touch_search AFTER DELETE ON public.commentaries_taggedcommentary REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_taggedcommentary_touch_search()"
    ),
    "commentaries_taggedcommentary_insert_touch_search": (
        "CREATE TRIGGER commentaries_taggedcommentary_insert_touch_search AFTER INSERT ON public.commentaries_taggedcommentary REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_taggedcommentary_touch_search()"
    ),
    "commentaries_taggedcommentary_update_touch_search": (
        "CREATE TRIGGER commentaries_taggedcommentary_update_touch_search AFTER UPDATE ON public.commentaries_taggedcommentary REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_taggedcommentary_touch_search()"
    ),
    "commentaries_topic_touch_search": (
        "CREATE TRIGGER commentaries_topic_touch_search AFTER UPDATE OF name ON public.commentaries_topic FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION commentaries_topic_touch_search()"
    ),
    "commentaries_commentary_words_insert": (
        "CREATE TRIGGER commentaries_commentary_words_insert AFTER INSERT ON public.commentaries_commentary REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_remember_words()"
    ),
    "commentaries_commentary_words_update": (
        "CREATE TRIGGER commentaries_commentary_words_update AFTER UPDATE ON public.commentaries_commentary REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commentaries_remember_words()"
    ),
}


def sqlite_triggers_in_database(connection) -> dict[str, str]:
    """{name: CREATE TRIGGER statement} as SQLite stores them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        return dict(cursor.fetchall())


def postgresql_definitions_in_database(connection) -> tuple[dict[str, str], dict[str, str]]:
    """({function: definition}, {trigger: definition}) as PostgreSQL prints
    them, for our functions (not those of extensions) and triggers."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.proname, pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND NOT EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'
            )
            """
        )
        functions = dict(cursor.fetchall())
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
        )
        triggers = dict(cursor.fetchall())
    return functions, triggers


def ensure_triggers(*, using="default", **kwargs):
    """post_migrate receiver: on SQLite, create the triggers a table rebuild dropped."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if "commentaries_formeraddress" not in connection.introspection.table_names():
        return
    tables = connection.introspection.table_names()
    present = sqlite_triggers_in_database(connection)
    with connection.cursor() as cursor:
        for name, sql in SQLITE_TRIGGERS.items():
            if name == "commentaries_published_keeps_number" and (
                "commentaries_renumberpermit" not in tables
            ):
                continue  # created once migration 0011 has made the table it reads
            if name not in present:
                cursor.execute(sql)


def create_published_keeps_number(connection) -> None:
    """Create the live-number guard from the definitions above (migration
    0009). On SQLite, `ensure_triggers` creates it once every migration has
    run: a trigger there must not exist while a table it reads is rebuilt."""
    name = "commentaries_published_keeps_number"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_FUNCTIONS[name])
            cursor.execute(POSTGRESQL_TRIGGERS[name])


def drop_published_keeps_number(connection) -> None:
    name = "commentaries_published_keeps_number"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON commentaries_commentary")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
