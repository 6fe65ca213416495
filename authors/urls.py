from django.urls import path

from . import views

app_name = "authors"

urlpatterns = [
    path("", views.AuthorListView.as_view(), name="index"),
    path("<slug:slug>/", views.AuthorView.as_view(), name="detail"),
]
