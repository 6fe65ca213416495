from django.contrib.flatpages.models import FlatPage
from django.db import models
from django.db.models import Q

from commentaries.models import Commentary


class ImportedPost(models.Model):
    """Which WordPress post became which commentary (or, for a WordPress page,
    which static page), so that a second import updates it instead of making
    a copy."""

    wp_post_id = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name="WordPress post ID", help_text="`wp:post_id`."
    )
    guid = models.CharField(
        max_length=500, blank=True, verbose_name="GUID", help_text="WordPress’s permanent ID."
    )
    post_type = models.CharField(max_length=40, help_text="For example “post” or “publication”.")
    link = models.CharField(
        max_length=500,
        blank=True,
        verbose_name="old address",
        help_text="The post’s WordPress URL.",
    )
    commentary = models.OneToOneField(
        Commentary,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wordpress_import",
    )
    page = models.OneToOneField(
        FlatPage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wordpress_import",
        verbose_name="static page",
    )
    source_hash = models.CharField(
        max_length=64,
        editable=False,
        help_text="Fingerprint of the exported post; an unchanged post is not written again.",
    )
    imported_at = models.DateTimeField(auto_now_add=True, verbose_name="first imported")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="last imported")

    class Meta:
        ordering = ["wp_post_id", "id"]
        verbose_name = "imported WordPress post"
        indexes = [models.Index(fields=["guid"], name="wordpress_guid_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["wp_post_id"],
                condition=Q(wp_post_id__isnull=False),
                name="unique_wordpress_post_id",
            ),
            models.CheckConstraint(
                condition=Q(wp_post_id__isnull=False) | ~Q(guid=""),
                name="wordpress_post_has_a_key",
                violation_error_message="An imported post needs its WordPress ID or GUID.",
            ),
            models.CheckConstraint(
                condition=(Q(commentary__isnull=False) & Q(page__isnull=True))
                | (Q(commentary__isnull=True) & Q(page__isnull=False)),
                name="wordpress_post_became_one_thing",
                violation_error_message="An imported post is a commentary or a static page.",
            ),
        ]

    def __str__(self):
        if self.wp_post_id is not None:
            return f"WordPress post {self.wp_post_id}"
        return f"WordPress post {self.guid}"

    def get_absolute_url(self):
        target = self.commentary if self.commentary_id else self.page
        return target.get_absolute_url()
