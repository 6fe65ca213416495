from django.apps import AppConfig


class CommentariesConfig(AppConfig):
    verbose_name = "Publications"
    name = "commentaries"

    def ready(self):
        from django.db.models.signals import post_migrate

        from authors.signals import author_merging
        from pacforum.pagecache import register_next_change

        from .services import bylines_move_on_merge
        from .site_state import next_publication
        from .triggers import ensure_triggers

        # A scheduled piece goes live without a save: cached pages must end then.
        register_next_change(next_publication)
        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="commentaries-triggers")
        author_merging.connect(bylines_move_on_merge, dispatch_uid="commentaries-bylines-merge")
