from django.urls import path

from pacforum.pagecache import public_page

from . import author_views as views

app_name = "authors"

urlpatterns = [
    path("", public_page(views.AuthorListView.as_view(), query=("letter", "page")), name="index"),
    path("<slug:slug>/", public_page(views.AuthorView.as_view(), query=("page",)), name="detail"),
]
