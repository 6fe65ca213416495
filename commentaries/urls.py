from django.urls import path, re_path

from pacforum.pagecache import public_page

from . import views
from .feeds import feed_view

app_name = "commentaries"

SERIES = r"(?P<series>[-a-zA-Z0-9_]+)"
YEAR = r"(?P<year>[0-9]{4})"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"
# The query parameters each page reads (the page cache ignores the others).
LISTING = ("year", "topic", "author", "page")
SEARCH = ("q", "series", "sort", *LISTING)

urlpatterns = [
    path("", public_page(views.HomeView.as_view()), name="home"),
    path("search/", public_page(views.SearchView.as_view(), query=SEARCH), name="search"),
    path("preview/<int:pk>/", views.CommentaryPreviewView.as_view(), name="preview"),
    path("preview/signoff/<str:token>/", views.SignoffPreviewView.as_view(), name="signoff"),
    path("topics/", public_page(views.TopicListView.as_view()), name="topics"),
    path(
        "topics/<slug:slug>/", public_page(views.TopicView.as_view(), query=LISTING), name="topic"
    ),
    path("feeds/rss/", public_page(feed_view("all", "rss")), name="feed_rss"),
    path("feeds/atom/", public_page(feed_view("all", "atom")), name="feed_atom"),
]
for kind in ("series", "author", "topic"):
    urlpatterns += [
        path(
            f"feeds/{kind}/<slug:slug>/rss/",
            public_page(feed_view(kind, "rss")),
            name=f"{kind}_feed_rss",
        ),
        path(
            f"feeds/{kind}/<slug:slug>/atom/",
            public_page(feed_view(kind, "atom")),
            name=f"{kind}_feed_atom",
        ),
    ]
urlpatterns += [
    path("<slug:series>/", public_page(views.SeriesView.as_view(), query=LISTING), name="series"),
    re_path(
        rf"^{SERIES}/{YEAR}/$",
        public_page(views.SeriesYearView.as_view(), query=("page",)),
        name="series_year",
    ),
    re_path(
        rf"^{SERIES}/{YEAR}/{SLUG}/$", public_page(views.CommentaryView.as_view()), name="detail"
    ),
    re_path(
        rf"^{SERIES}/{YEAR}/{SLUG}/cite\.(?P<format>bib|ris)$",
        public_page(views.CitationView.as_view()),
        name="cite",
    ),
]
