from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Export and import of the whole site as JSON Lines (no models)."""

    name = "archive"
    verbose_name = "Archive"
