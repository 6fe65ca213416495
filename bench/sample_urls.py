"""Write the load test's page plan: sample addresses per page type, as JSON.

Run by bench/run.sh against the benchmark database. Page types whose views do
not exist (yet) are left out; `pages.json` lists the candidate addresses for
search, feeds and subscriptions, and the locustfile drops those that 404.
"""

import json
import os
import random
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacforum.settings")
django.setup()

from authors.models import Author  # noqa: E402
from commentaries.models import Commentary, Series, Topic  # noqa: E402


def sample(queryset, size):
    ids = list(queryset.values_list("pk", flat=True))
    chosen = random.Random(68).sample(ids, min(size, len(ids)))
    return queryset.model.objects.filter(pk__in=chosen)


def main(out):
    plan = json.loads((Path(__file__).parent / "pages.json").read_text())
    published = Commentary.objects.published().select_related("series")
    samples = {
        "home": ["/", "/?page=2"],
        "series": [s.get_absolute_url() for s in Series.objects.all()],
        "commentary": [c.get_absolute_url() for c in sample(published, 2000)],
        "author": [a.get_absolute_url() for a in sample(Author.objects.all(), 500)],
        "topic": [t.get_absolute_url() for t in sample(Topic.objects.all(), 100)],
        "series_slugs": list(Series.objects.values_list("slug", flat=True)),
    }
    plan["samples"] = samples
    Path(out).write_text(json.dumps(plan, indent=1))
    print(f"page plan: {', '.join(f'{k}={len(v)}' for k, v in samples.items())}")


if __name__ == "__main__":
    main(sys.argv[1])
