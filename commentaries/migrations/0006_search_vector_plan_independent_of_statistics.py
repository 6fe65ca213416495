from django.db import migrations

# The search-vector trigger looked up a piece's authors and topics with joins
# whose plan depended on the tables' statistics. Before the first ANALYZE of a
# growing table (a bulk load, a restore) PostgreSQL chose to scan every author
# and every topic for every piece indexed: 1,126,400,000 author rows read while
# seeding 160,000 pieces. Scalar subqueries by primary key make each lookup an
# index probe whatever the statistics say. And the function runs with JIT
# compilation off: when stale statistics made a lookup look expensive,
# PostgreSQL compiled it with LLVM on every call, milliseconds a row.

FORWARD = r"""
CREATE OR REPLACE FUNCTION commentaries_commentary_search_vector() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
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
$$;
"""

BACKWARD = r"""
ALTER FUNCTION commentaries_commentary_search_vector() RESET jit;
CREATE OR REPLACE FUNCTION commentaries_commentary_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B')
    || setweight(to_tsvector('english', coalesce((
         SELECT string_agg(a.name, ' ')
         FROM commentaries_byline b JOIN authors_author a ON a.id = b.author_id
         WHERE b.commentary_id = NEW.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce((
         SELECT string_agg(t.name, ' ')
         FROM commentaries_taggedcommentary tc JOIN commentaries_topic t ON t.id = tc.tag_id
         WHERE tc.content_object_id = NEW.id), '')), 'B')
    || setweight(to_tsvector('english', commentaries_strip_tags(NEW.body)), 'C');
  RETURN NEW;
END
$$;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("commentaries", "0005_pdf_checked_by_content")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
