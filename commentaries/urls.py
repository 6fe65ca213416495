from django.urls import path

from . import views

app_name = "commentaries"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("preview/<int:pk>/", views.CommentaryPreviewView.as_view(), name="preview"),
    path("topics/<slug:slug>/", views.TopicView.as_view(), name="topic"),
    path("<slug:series>/", views.SeriesView.as_view(), name="series"),
    path("<slug:series>/<int:year>/<slug:slug>/", views.CommentaryView.as_view(), name="detail"),
]
