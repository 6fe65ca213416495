from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The word list behind “Did you mean …?” (PostgreSQL only). A piece's words
# are its distinct lower-cased words of 3-40 letters, read by PostgreSQL's
# own text parser ('simple': no stemming, no stop words), about six times
# faster than a regular expression over the text. Statement-level
# triggers with transition tables: a bulk insert (seed_bulk, an import) reads
# its rows' words once per statement, and only words that are new, or public
# earlier than recorded, are written, so publishing a piece in known words
# takes no row locks on the list.

# Words of the `pieces` (a FROM clause naming `n`, the new rows) that are
# new to the list or public earlier than it says.
REMEMBER = """INSERT INTO commentaries_searchword AS s (word, first_published_at)
    SELECT w.word, w.first_published_at
    FROM (
      SELECT word, min(n.published_at) AS first_published_at
      FROM {pieces}, commentaries_piece_words(n.id, n.title, n.summary, n.body) AS word
      WHERE n.status = 'published' AND n.published_at IS NOT NULL{changed}
      GROUP BY word
    ) w
    WHERE NOT EXISTS (
      SELECT 1 FROM commentaries_searchword k
      WHERE k.word = w.word AND k.first_published_at <= w.first_published_at)
    ORDER BY w.word
    ON CONFLICT (word) DO UPDATE SET first_published_at = excluded.first_published_at
      WHERE excluded.first_published_at < s.first_published_at;"""

FORWARD = r"""
CREATE INDEX commentaries_searchword_trgm
  ON commentaries_searchword USING gin (word gin_trgm_ops);

CREATE FUNCTION commentaries_piece_words(piece_id bigint, title text, summary text, body text)
RETURNS SETOF text LANGUAGE sql STABLE SET jit = off AS $$
  SELECT word
  FROM unnest(tsvector_to_array(to_tsvector('simple',
    coalesce(title, '') || ' ' || coalesce(summary, '') || ' '
    || coalesce((SELECT string_agg((SELECT a.name FROM authors_author a WHERE a.id = b.author_id), ' ')
                 FROM commentaries_byline b WHERE b.commentary_id = piece_id), '') || ' '
    || coalesce((SELECT string_agg((SELECT t.name FROM commentaries_topic t WHERE t.id = tc.tag_id), ' ')
                 FROM commentaries_taggedcommentary tc WHERE tc.content_object_id = piece_id), '')
    || ' ' || regexp_replace(commentaries_strip_tags(body), '&[#[:alnum:]]+;', ' ', 'g')))) AS word
  WHERE word ~ '^[[:alpha:]]{3,40}$'
$$;

CREATE FUNCTION commentaries_remember_words() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {remember_inserted}
  ELSE
    {remember_updated}
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER commentaries_commentary_words_insert
AFTER INSERT ON commentaries_commentary
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION commentaries_remember_words();

CREATE TRIGGER commentaries_commentary_words_update
AFTER UPDATE ON commentaries_commentary
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION commentaries_remember_words();

{remember_all};
"""
FORWARD = (
    FORWARD.replace("{remember_inserted}", REMEMBER.format(pieces="new_rows n", changed=""))
    .replace(
        # An edit that leaves the text, authors, topics and publication alone
        # (a new image, a PDF) reads no words.
        "{remember_updated}",
        REMEMBER.format(
            pieces="new_rows n JOIN old_rows o ON o.id = n.id",
            changed=""" AND (o.status, o.published_at, o.title, o.summary, o.body, o.search_vector)
          IS DISTINCT FROM (n.status, n.published_at, n.title, n.summary, n.body,
                            n.search_vector)""",
        ),
    )
    .replace("{remember_all}", REMEMBER.format(pieces="commentaries_commentary n", changed=""))
)

BACKWARD = r"""
DROP TRIGGER IF EXISTS commentaries_commentary_words_update ON commentaries_commentary;
DROP TRIGGER IF EXISTS commentaries_commentary_words_insert ON commentaries_commentary;
DROP FUNCTION IF EXISTS commentaries_remember_words();
DROP FUNCTION IF EXISTS commentaries_piece_words(bigint, text, text, text);
DROP INDEX IF EXISTS commentaries_searchword_trgm;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("commentaries", "0010_shared_images")]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("first_published_at", models.DateTimeField()),
            ],
            options={"verbose_name": "search word", "ordering": ["word"]},
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
