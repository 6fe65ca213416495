from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from pacforum.links import cached_reverse
from pacforum.models import TimestampedModel
from pacforum.sanitizer import sanitize_html
from pacforum.uploads import ImageUploadField, validate_image_upload


class AuthorQuerySet(models.QuerySet):
    def with_current_affiliations(self):
        return self.prefetch_related(
            models.Prefetch(
                "affiliations",
                queryset=Affiliation.objects.filter(is_current=True).select_related("organization"),
                to_attr="current_affiliations",
            )
        )


class Author(TimestampedModel):
    name = models.CharField(max_length=200, help_text="As printed in the byline.")
    sort_name = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="For alphabetical lists, e.g. “Kim, Saeme”. Made from the name when empty.",
    )
    slug = models.SlugField(max_length=200, unique=True)
    email = models.EmailField(blank=True)
    show_email = models.BooleanField(
        default=False,
        verbose_name="show email publicly",
        help_text="Print the email in closing paragraphs and on the profile page.",
    )
    photo = ImageUploadField(
        upload_to="authors/",
        blank=True,
        validators=[validate_image_upload],
        help_text="PNG, JPEG, GIF or WebP, up to 5 MB.",
    )
    short_bio = models.CharField(
        max_length=300,
        blank=True,
        help_text="The one-liner that closes a piece, after the name: “is a PhD candidate at …”.",
    )
    long_bio = models.TextField(blank=True, help_text="Shown on the author’s profile page.")

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="unique_author_email_ci",
                violation_error_message="Another author already has this email address.",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.long_bio = sanitize_html(self.long_bio)
        self.email = self.email.strip()
        if not self.sort_name:
            self.sort_name = self.default_sort_name(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return cached_reverse("authors:detail", slug=self.slug)

    def byline_bio(self):
        """The closing line a new byline starts from: the short bio, or, when
        there is none yet, one made from the current affiliation ("is Senior
        Fellow at CSIS.") so that a byline never starts empty by accident."""
        if self.short_bio.strip():
            return self.short_bio
        current = [a for a in self.affiliations.all() if a.is_current]
        if not current:
            return ""
        first = current[0]
        if first.role:
            return f"is {first.role} at {first.organization}."
        return f"is with {first.organization}."

    @staticmethod
    def default_sort_name(name):
        parts = name.split()
        if len(parts) < 2:
            return name
        return f"{parts[-1]}, {' '.join(parts[:-1])}"


class Organization(models.Model):
    name = models.CharField(max_length=255)
    url = models.URLField(blank=True, verbose_name="website")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="unique_organization_name_ci",
                violation_error_message="An organization with this name already exists.",
            )
        ]

    def __str__(self):
        return self.name


class Affiliation(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="affiliations"
    )
    role = models.CharField(max_length=200, blank=True, help_text="e.g. “Senior Fellow”.")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_current = models.BooleanField(default=True, verbose_name="current")

    class Meta:
        ordering = ["-is_current", F("start_date").desc(nulls_last=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="affiliation_ends_after_start",
                violation_error_message="An affiliation cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(end_date__isnull=True),
                name="current_affiliation_has_no_end",
                violation_error_message="A current affiliation has no end date.",
            ),
        ]

    def __str__(self):
        return f"{self.role}, {self.organization}" if self.role else str(self.organization)


class FormerSlug(models.Model):
    """An address an author's profile used to have: a merged-away record's
    slug, so that its profile and feed links answer 301 to the kept author."""

    slug = models.SlugField(max_length=200, unique=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="former_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "former author address"
        verbose_name_plural = "former author addresses"

    def __str__(self):
        return f"{self.slug} → {self.author.slug}"
