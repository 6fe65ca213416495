from django import forms

from .search import MAX_QUERY_LENGTH

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
            queryset = queryset.filter(bylines__author__slug=data["author"])
        return queryset


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
    field_order = ["q", "series", "year", "topic", "author"]

    def __init__(self, *args, series=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [("", "All series")] + [(s.slug, s.name) for s in series]

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if self.is_valid() and self.cleaned_data.get("series"):
            queryset = queryset.filter(series__slug=self.cleaned_data["series"])
        return queryset

    @property
    def query(self):
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
