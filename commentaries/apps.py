from django.apps import AppConfig


class CommentariesConfig(AppConfig):
    verbose_name = "Publications"
    name = "commentaries"

    def ready(self):
        from django.db.models.signals import post_migrate, post_save, pre_save

        from authors import permissions as author_permissions
        from authors.models import Author
        from authors.signals import author_merging
        from pacforum.pagecache import register_next_change

        from . import cachekeys, credits, menus, rules
        from .history import author_text_in_piece_history, remember_author_text
        from .services import bylines_move_on_merge
        from .site_state import next_publication
        from .triggers import ensure_triggers

        # A scheduled piece goes live without a save: cached pages must end then.
        register_next_change(next_publication)
        # Derived data stored on pieces and series follows every code path
        # that saves content too; the series menus' receiver reads the place
        # a piece was loaded with, which the page cache's resets: first.
        menus.connect()
        credits.connect()
        # Page-cache invalidation has to follow every code path that saves
        # content (admin, shell, importers), hence signal receivers.
        cachekeys.connect()
        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="commentaries-triggers")
        author_merging.connect(bylines_move_on_merge, dispatch_uid="commentaries-bylines-merge")
        # Authors on published pieces are part of the record (rules.py).
        author_permissions.register(
            author=rules.author_refusal, organization=rules.organization_refusal
        )
        # An author's public text is printed with their pieces: its changes
        # belong to the pieces' history too.
        pre_save.connect(remember_author_text, sender=Author, dispatch_uid="author-text-before")
        post_save.connect(
            author_text_in_piece_history, sender=Author, dispatch_uid="author-text-history"
        )
