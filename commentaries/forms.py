from django import forms
from django.db.models import Exists, OuterRef, Q

from .models import Byline
from .search import MAX_QUERY_LENGTH, RELEVANCE, SORTS

# Beyond this many authors a listing offers no author menu (it would weigh more
# than the page); `?author=<slug>` links still filter.
AUTHOR_CHOICES_LIMIT = 200


class ArchiveFilterForm(forms.Form):
    """Optional filters on a listing: year, topic and author (by slug)."""

    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Year")
    topic = forms.ChoiceField(required=False, label="Topic")
    author = forms.SlugField(required=False, label="Author", widget=forms.HiddenInput)

    def __init__(self, *args, years=(), topics=(), authors=(), **kwargs):
        """`topics` and `authors` are (slug, name) pairs; with more than
        AUTHOR_CHOICES_LIMIT authors the author filter stays a hidden field
        (set by links from author pages) instead of an endless menu."""
        super().__init__(*args, **kwargs)
        if isinstance(self.fields["year"], forms.ChoiceField):
            self.fields["year"].choices = [("", "Any year")] + [(y, y) for y in years]
        self.fields["topic"].choices = [("", "Any topic"), *topics]
        authors = list(authors[: AUTHOR_CHOICES_LIMIT + 1])
        if authors and len(authors) <= AUTHOR_CHOICES_LIMIT:
            self.fields["author"] = forms.ChoiceField(
                required=False, label="Author", choices=[("", "Any author"), *authors]
            )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("year"):
            queryset = queryset.filter(year=data["year"])
        if data.get("topic"):
            queryset = queryset.filter(topics__slug=data["topic"])
        if data.get("author"):
            queryset = self.filter_author(queryset, data["author"])
        return queryset

    def filter_author(self, queryset, author):
        return queryset.filter(bylines__author__slug=author)


class SearchForm(ArchiveFilterForm):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": "Please shorten your search to %(limit_value)d characters or "
            "fewer (it has %(show_value)d)."
        },
    )
    series = forms.ChoiceField(required=False, label="Series")
    year = forms.IntegerField(required=False, min_value=1900, max_value=2200, label="Year")
    author = forms.CharField(required=False, max_length=120, label="Author")
    sort = forms.ChoiceField(required=False, label="Sort by", choices=SORTS)
    field_order = ["q", "series", "year", "topic", "author", "sort"]

    def __init__(self, *args, series=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [("", "All series")] + [(s.slug, s.name) for s in series]

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if self.is_valid() and self.cleaned_data.get("series"):
            queryset = queryset.filter(series__slug=self.cleaned_data["series"])
        return queryset

    def filter_author(self, queryset, author):
        """The whole archive has too many authors for a menu, so the search
        takes a typed name (or part of one), or an author's slug from a link."""
        author = author.strip()
        by = Byline.objects.filter(
            Q(author__slug=author) | Q(author__name__icontains=author),
            commentary=OuterRef("pk"),
        )
        return queryset.filter(Exists(by))

    @property
    def sort_order(self):
        return (self.cleaned_data.get("sort") or RELEVANCE) if self.is_valid() else RELEVANCE

    @property
    def query(self):
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
