"""Reads over authors and their affiliations.

Which authors readers see depends on published pieces, which this app does not
know about: callers pass that set in (`commentaries.selectors.published_authors`).
"""

from django.db.models import Count, Prefetch
from django.db.models.functions import Substr, Upper

from .models import Affiliation, FormerSlug


def author_initials(authors):
    """`authors` annotated with `initial`: the first letter of the sort name,
    upper-cased by the database (so grouping and filtering agree)."""
    return authors.annotate(initial=Upper(Substr("sort_name", 1, 1)))


def initials_with_counts(authors):
    """[(initial, authors)] over `authors`, in order: the A-Z directory's
    letters, in one query."""
    return list(
        author_initials(authors)
        .order_by()
        .values("initial")
        .annotate(n=Count("pk"))
        .order_by("initial")
        .values_list("initial", "n")
    )


def with_affiliations(authors):
    """`authors` with every affiliation and its organization prefetched (one
    query more): a profile's current and past affiliations."""
    affiliations = Affiliation.objects.select_related("organization")
    return authors.prefetch_related(Prefetch("affiliations", queryset=affiliations))


def moved_author(slug: str):
    """The author a former address now belongs to (a merged-away record's
    slug), or None."""
    former = FormerSlug.objects.select_related("author").filter(slug=slug).first()
    return former.author if former else None
