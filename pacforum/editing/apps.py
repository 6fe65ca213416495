from django.apps import AppConfig


class EditingConfig(AppConfig):
    """Editors working on the same record: the version a form was opened at,
    advisory edit locks with a heartbeat, and autosaved drafts of open forms."""

    name = "pacforum.editing"
    label = "editing"
    verbose_name = "Editing"
    default_auto_field = "django.db.models.BigAutoField"
