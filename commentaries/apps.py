from django.apps import AppConfig


class CommentariesConfig(AppConfig):
    verbose_name = "Publications"
    name = "commentaries"
