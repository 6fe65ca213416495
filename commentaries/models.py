import json
from datetime import datetime

import reversion
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import JSONField, Q, Value
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from pacforum.images import renditions_on_save, responsive_image
from pacforum.links import cached_reverse
from pacforum.models import ChecksInOneQuery, TimestampedModel
from pacforum.sanitizer import sanitize_html
from pacforum.uploads import ImageUploadField, PDFUploadField, validate_pdf_upload

from .footnotes import normalise_footnotes
from .numbering import format_display_title, format_label, normalise_suffix, number_year

# Top-level paths the site uses itself; a series cannot take them as its slug.
RESERVED_SLUGS = {
    "admin",
    "authors",
    "topics",
    "search",
    "subscribe",
    "unsubscribe",
    "feeds",
    "feed",
    "static",
    "media",
    "ckeditor5",
    "pages",
    "about",
    "history",
    "sitemap",
    "robots",
    "healthz",
    "readyz",
    "preview",
}


IMAGE_HELP = (
    "A PNG, JPEG, GIF or WebP image, at least 1200 pixels wide for sharing on social "
    "media; smaller sizes for phones are made when it is saved."
)
ALT_HELP = "What the image shows, for readers who cannot see it (required with an image)."


def image_has_alt(name):
    return models.CheckConstraint(
        condition=Q(image="") | ~Q(image_alt=""),
        name=name,
        violation_error_message="Describe the image for readers who cannot see it.",
    )


class SharedImageMixin:
    """The image fields' behaviour: sizes made when a new image is saved, and
    the image ready for templates and link previews."""

    def save_image_renditions(self):
        self.image_renditions = renditions_on_save(self.image, self.image_renditions)

    @property
    def own_image(self):
        return responsive_image(
            self.image,
            self.image_renditions,
            alt=self.image_alt,
            width=self.image_width,
            height=self.image_height,
        )


def validate_series_slug(value):
    if value in RESERVED_SLUGS:
        raise ValidationError("“%(value)s” is used by the site itself.", params={"value": value})


class Series(SharedImageMixin, TimestampedModel):
    class Numbering(models.TextChoices):
        YEARLY = "yearly", "Restarts every year"
        CONTINUOUS = "continuous", "Runs on across years"
        NONE = "none", "Not numbered"

    name = models.CharField(max_length=120, unique=True, help_text="For example “PacNet”.")
    slug = models.SlugField(
        max_length=60,
        unique=True,
        validators=[validate_series_slug],
        help_text="The series’ address on the site: /<slug>/.",
    )
    short_label = models.CharField(
        max_length=40,
        help_text="Used in titles before the number: “PacNet” gives “PacNet #68 – Title”.",
    )
    description = models.TextField(blank=True, help_text="Shown at the top of the series page.")
    disclaimer = models.TextField(
        blank=True,
        help_text="Rich text shown under every piece of the series, for example "
        "“… represent the views of the respective authors.”",
    )
    numbering = models.CharField(
        max_length=12,
        choices=Numbering.choices,
        default=Numbering.YEARLY,
        help_text="How publishing assigns numbers to new pieces.",
    )
    subscribable = models.BooleanField(
        default=True, help_text="Readers may ask to receive this series by email."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers come first in menus and on the home page."
    )
    feed_full_text = models.BooleanField(
        null=True,
        blank=True,
        verbose_name="whole pieces in feeds",
        help_text="Feeds carry the whole text of the series’ pieces, not only the summary. "
        "Unknown: yes when the series is subscribable.",
    )
    image = ImageUploadField(
        upload_to="images/series/",
        blank=True,
        default="",
        db_default="",
        width_field="image_width",
        height_field="image_height",
        verbose_name="default image",
        help_text="Shown when a piece of the series without an image of its own is shared. "
        + IMAGE_HELP,
    )
    image_alt = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",
        verbose_name="default image description",
        help_text=ALT_HELP,
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_renditions = models.JSONField(
        default=dict, db_default=Value({}, JSONField()), blank=True, editable=False
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "series"
        verbose_name_plural = "series"
        constraints = [image_has_alt("series_image_has_alt")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.disclaimer = sanitize_html(self.disclaimer)
        self.save_image_renditions()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return cached_reverse("commentaries:series", series=self.slug)

    @property
    def is_numbered(self):
        return self.numbering != self.Numbering.NONE

    @property
    def feeds_full_text(self):
        return self.subscribable if self.feed_full_text is None else self.feed_full_text


class SeriesMenus(models.Model):
    """The years, topics and authors a series' page can filter by: derived
    from its published pieces and kept current (commentaries/menus.py). A
    table of its own, so that the series row, which many queries join, stays
    small."""

    series = models.OneToOneField(
        Series, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    menus = models.JSONField(default=dict)

    class Meta:
        verbose_name = "series menus"
        verbose_name_plural = "series menus"

    def __str__(self):
        return f"Menus of series {self.series_id}"


class Topic(TagBase):
    """A django-taggit tag with the extras a publisher needs."""

    description = models.TextField(blank=True, help_text="Shown at the top of the topic page.")
    featured = models.BooleanField(default=False, help_text="List this topic on the home page.")

    class Meta:
        ordering = ["name"]
        verbose_name = "topic"
        verbose_name_plural = "topics"

    def get_absolute_url(self):
        return cached_reverse("commentaries:topic", slug=self.slug)


class TaggedCommentary(TaggedItemBase):
    content_object = models.ForeignKey(
        "Commentary", on_delete=models.CASCADE, related_name="tagged_items"
    )
    # Indexed with the piece below: a topic's pieces in id order, for topic
    # pages and for the related pieces' bounded windows (selectors.py).
    tag = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="tagged_commentaries", db_index=False
    )

    def touches_public_site(self) -> bool:
        return _piece_is_public(self.content_object_id)

    class Meta:
        verbose_name = "topic of a commentary"
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_topic_per_piece")
        ]
        indexes = [models.Index(fields=["tag", "content_object"], name="topic_link_tag_piece")]


def published_q(path=""):
    """Readers may see a piece that is published and whose time has come;
    `path` applies the rule across a relation (`published_q("commentary__")`)."""
    return models.Q(
        **{f"{path}status": Commentary.Status.PUBLISHED, f"{path}published_at__lte": timezone.now()}
    )


def _piece_is_public(commentary_id) -> bool:
    """Whether a byline or topic link of this piece shows on the public site
    (a piece already deleted counts, to be safe)."""
    status = Commentary.objects.filter(pk=commentary_id).values_list("status", flat=True).first()
    return status is None or status in PUBLIC_STATUSES


class Status(models.TextChoices):
    # "Scheduled" is not stored: it is a published piece whose time has not
    # come, so visibility needs no clock job (see commentaries.rules.State).
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class NumberOrigin(models.TextChoices):
    ASSIGNED = "assigned", "Assigned on publishing"
    HAND = "hand", "Set by an editor"
    IMPORTED = "imported", "Carried over from an import"


def empty_credits() -> dict:
    """The credits of a piece with no bylines and no topics."""
    return {"bylines": [], "topics": []}


# Statuses whose rows readers have seen (or will see at the publish time).
PUBLIC_STATUSES = (Status.PUBLISHED, Status.WITHDRAWN)
# Statuses that hold no publish time.
UNPUBLISHED_STATUSES = (Status.DRAFT, Status.REVIEW)


class CommentaryQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what readers may see."""
        return self.filter(published_q())

    def scheduled(self):
        return self.filter(status=Commentary.Status.PUBLISHED, published_at__gt=timezone.now())

    def drafts(self):
        return self.filter(status=Commentary.Status.DRAFT)

    def in_review(self):
        return self.filter(status=Commentary.Status.REVIEW)

    def withdrawn(self):
        return self.filter(status=Commentary.Status.WITHDRAWN)

    def public_record(self):
        """Pieces that are, or were, shown to readers: live and withdrawn ones
        (a withdrawn piece keeps its number, address and citation)."""
        return self.filter(status__in=Commentary.PUBLIC_STATUSES, published_at__lte=timezone.now())

    def with_bylines(self):
        return self.select_related("series").prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )

    def with_credits(self):
        """Each piece comes with its bylines (authors, their current
        affiliations) and topics from its stored credits
        (commentaries/credits.py): no query for them."""
        from .credits import CreditedIterable

        queryset = self._chain()
        queryset._iterable_class = CreditedIterable
        return queryset

    def in_series(self, series):
        return self.filter(series=series)

    def write_derived(self, values: dict) -> None:
        """Store derived JSON fields (`credits`, `surroundings`) of many
        pieces: {pk: {field name: value}}, the same fields for every piece.
        The pieces are named by their keys, not by this queryset's filters
        (call it on the manager).
        Like `bulk_update`, without signals. On PostgreSQL one UPDATE per
        5,000 pieces joins the rows to the values sent as one JSON document
        (`jsonb_to_recordset`): `bulk_update` builds a CASE of 1,000 branches
        per statement, which took 44 of the 65 s of working out the credits
        of 100,000 pieces. Writing two fields in one pass rewrites each row
        (and its index entries) once instead of twice."""
        if not values:
            return
        names = sorted(next(iter(values.values())))
        fields = [Commentary._meta.get_field(name) for name in names]
        if not all(isinstance(field, JSONField) for field in fields):
            raise TypeError(f"{names} are not all JSON fields")
        if connections[self.db].vendor != "postgresql":
            pieces = [Commentary(pk=pk, **fields_of) for pk, fields_of in values.items()]
            self.bulk_update(pieces, names, batch_size=1000)
            return
        table = Commentary._meta.db_table
        assignments = ", ".join(f'"{field.column}" = new."{field.column}"' for field in fields)
        columns = ", ".join(f'"{field.column}" jsonb' for field in fields)
        rows = [
            {"id": pk, **{field.column: fields_of[field.name] for field in fields}}
            for pk, fields_of in values.items()
        ]
        with connections[self.db].cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.execute(
                    f'UPDATE "{table}" AS piece SET {assignments} '  # noqa: S608
                    f"FROM jsonb_to_recordset(%s::jsonb) AS new(id bigint, {columns}) "
                    "WHERE piece.id = new.id",
                    [json.dumps(rows[start : start + 5000])],
                )


class Commentary(SharedImageMixin, ChecksInOneQuery, TimestampedModel):
    Status = Status
    NumberOrigin = NumberOrigin
    PUBLIC_STATUSES = PUBLIC_STATUSES
    UNPUBLISHED_STATUSES = UNPUBLISHED_STATUSES

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="commentaries")
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=200, help_text="Part of the address; made from the title.")
    summary = models.CharField(
        max_length=500,
        blank=True,
        help_text="Plain text, one or two sentences, for listings and search engines.",
    )
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="A time in the future schedules the piece: readers see it from then on.",
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The year the number belongs to."
    )
    number = models.PositiveIntegerField(
        null=True, blank=True, help_text="Assigned when the piece is published; may be set by hand."
    )
    number_origin = models.CharField(
        max_length=10,
        choices=NumberOrigin.choices,
        default=NumberOrigin.ASSIGNED,
        editable=False,
        help_text="Assigned numbers follow publish time; hand-set and imported ones are kept.",
    )
    suffix = models.CharField(
        max_length=8,
        blank=True,
        help_text="“R” for a response, “R2” for a second one; usually left empty.",
    )
    responds_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        help_text="The piece this one answers.",
    )
    pdf = PDFUploadField(
        upload_to="pdf/%Y/",
        blank=True,
        verbose_name="PDF",
        validators=[validate_pdf_upload],
        help_text="The printable version, if there is one (a real PDF, up to 20 MB).",
    )
    pdf_size = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="The PDF's size in bytes, for feeds."
    )
    image = ImageUploadField(
        upload_to="images/%Y/",
        blank=True,
        default="",
        db_default="",
        width_field="image_width",
        height_field="image_height",
        help_text="Shown at the top of the piece and when it is shared; without one, the "
        "series’ default image is shared. " + IMAGE_HELP,
    )
    image_alt = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",
        verbose_name="image description",
        help_text=ALT_HELP,
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_renditions = models.JSONField(
        default=dict, db_default=Value({}, JSONField()), blank=True, editable=False
    )
    original_publication = models.CharField(
        max_length=255, blank=True, help_text="“Originally published in …”, if it was."
    )
    original_url = models.URLField(blank=True, verbose_name="original URL")
    search_vector = SearchVectorField(
        null=True,
        editable=False,
        help_text="Kept current by the database (PostgreSQL only): title, summary, "
        "authors, topics and body, weighted in that order.",
    )
    withdrawal_note = models.TextField(
        blank=True,
        help_text="The editors’ note shown on a withdrawn piece’s page: why it was withdrawn.",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    corrections = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Dated correction notes shown at the end of the piece, in its feed entry "
        "and its structured data: [{“noted_at”: ISO time, “text”: …}].",
    )
    surroundings = models.JSONField(
        default=dict,
        db_default=Value({}, JSONField()),
        blank=True,
        editable=False,
        help_text="Derived from the published pieces, kept current by the services "
        "(commentaries/surroundings.py): the ids of the previous and next pieces of the "
        "series and of the related pieces, in rank order.",
    )
    credits = models.JSONField(
        default=empty_credits,
        db_default=Value({"bylines": [], "topics": []}, JSONField()),
        blank=True,
        editable=False,
        help_text="Derived from the bylines, their authors and the topics, kept current "
        "(commentaries/credits.py): what pages print about the piece's authors and topics.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Contributors may edit the drafts they created.",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    topics = TaggableManager(through=TaggedCommentary, blank=True, verbose_name="topics")

    objects = CommentaryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        verbose_name_plural = "commentaries"
        permissions = [("publish_commentary", "Can publish, schedule and unpublish commentaries")]
        indexes = [
            models.Index(fields=["status", "published_at"], name="commentary_visible_idx"),
            # A series' pages and its newest piece, newest first.
            models.Index(fields=["series", "-published_at"], name="commentary_series_recent_idx"),
            # A series' year menu with per-year counts, from the index alone.
            models.Index(
                fields=["series", "year", "status", "published_at"],
                name="commentary_series_year_idx",
            ),
            # Search by number across series and years (“#68”, “2019 #68”).
            models.Index(fields=["number", "year"], name="commentary_number_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number", "suffix"], name="unique_number_per_series_year"
            ),
            models.UniqueConstraint(
                fields=["series", "year", "slug"],
                condition=Q(year__isnull=False),
                name="unique_slug_per_series_year",
            ),
            models.CheckConstraint(
                condition=Q(status__in=UNPUBLISHED_STATUSES) | Q(published_at__isnull=False),
                name="published_needs_time",
                violation_error_message="A published piece needs a publish time.",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.WITHDRAWN) | Q(withdrawn_at__isnull=False),
                name="withdrawn_needs_time",
                violation_error_message="A withdrawn piece needs the time it was withdrawn.",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(year__isnull=False),
                name="number_needs_year",
                violation_error_message="A numbered piece needs the year of its number.",
            ),
            models.CheckConstraint(
                condition=Q(suffix="") | Q(number__isnull=False),
                name="suffix_needs_number",
                violation_error_message="A suffix needs a number.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="commentary_status_valid"
            ),
            image_has_alt("commentary_image_has_alt"),
        ]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        self.body = self.clean_body(self.body)
        self.suffix = normalise_suffix(self.suffix)
        if not self.slug:
            self.slug = slugify(self.title)[:200] or "commentary"
        self.save_image_renditions()
        self.save_pdf_size()
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            # The stored credits are written by commentaries.credits alone: an
            # instance loaded before its bylines changed holds stale ones, and
            # saving it whole (a publish, a script) would put them back.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "credits"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return cached_reverse(
            "commentaries:detail", series=self.series.slug, year=self.year, slug=self.slug
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        instance._loaded_place = instance.place()
        return instance

    PLACE_FIELDS = ("status", "published_at", "series_id", "year", "number", "suffix", "slug")

    def place(self) -> tuple:
        """Where the piece stands among the others (state, time, series,
        number, address): when it changes, listings and neighbours change."""
        return tuple(self.__dict__.get(name) for name in self.PLACE_FIELDS)

    def place_changed(self) -> bool:
        return getattr(self, "_loaded_place", None) != self.place()

    def touches_public_site(self) -> bool:
        """Does saving or deleting this piece change what readers may see (or
        the next scheduled publication time)? Not while it is, and was, a
        draft or in review."""
        loaded = getattr(self, "_loaded_status", None)
        return self.status in PUBLIC_STATUSES or loaded in PUBLIC_STATUSES

    def clean(self):
        self.suffix = normalise_suffix(self.suffix)
        if self.number is not None and self.year is None:
            self.year = number_year(self.published_at or timezone.now())
        if self.suffix and self.number is None:
            raise ValidationError({"suffix": "A suffix needs a number."})
        if self.responds_to_id and self.responds_to_id == self.pk:
            raise ValidationError({"responds_to": "A piece cannot respond to itself."})

    @staticmethod
    def clean_body(body):
        """A body as it is stored: footnotes linked, then sanitised."""
        return sanitize_html(normalise_footnotes(body))

    def save_pdf_size(self):
        if not self.pdf:
            self.pdf_size = None
        elif self.pdf_size is None or not self.pdf._committed:
            try:
                self.pdf_size = self.pdf.size
            except OSError:  # named but missing from storage
                self.pdf_size = None

    def unique_error_message(self, model_class, unique_check):
        if tuple(unique_check) == ("series", "year", "number", "suffix"):
            return ValidationError(
                "%(label)s (%(year)s) already exists.",
                code="unique_number",
                params={"label": self.label, "year": self.year},
            )
        return super().unique_error_message(model_class, unique_check)

    @property
    def label(self):
        """“PacNet #68R”, or just the series label when the piece has no number."""
        return format_label(self.series.short_label, self.number, self.suffix)

    @property
    def display_title(self):
        return format_display_title(self.series.short_label, self.number, self.suffix, self.title)

    @property
    def correction_notes(self) -> list[dict]:
        """The corrections, oldest first, with `noted_at` as a datetime."""
        return [
            {"noted_at": datetime.fromisoformat(note["noted_at"]), "text": note["text"]}
            for note in self.corrections or []
        ]

    @property
    def share_image(self):
        """The image shown when the piece is shared: its own, else its series' default."""
        return self.own_image or self.series.own_image

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class Byline(models.Model):
    """An author of a commentary, in order, with their bio and email as they
    stood when the piece was published."""

    commentary = models.ForeignKey(Commentary, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey("authors.Author", on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)
    bio = models.TextField(
        blank=True,
        help_text="The closing line after the name and email, e.g. “is a PhD candidate at …”. "
        "Filled from the author’s profile; edit it freely.",
    )
    email = models.EmailField(
        blank=True, help_text="Shown in the closing paragraph if the author allows it."
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["commentary", "author"], name="unique_author_per_piece")
        ]

    def __str__(self):
        return f"{self.author} on {self.commentary}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.fill_snapshot()
        super().save(*args, **kwargs)

    def touches_public_site(self) -> bool:
        return _piece_is_public(self.commentary_id)

    def fill_snapshot(self):
        """Copy the author's current bio and email into empty snapshot fields."""
        if not self.bio:
            self.bio = self.author.byline_bio()
        if not self.email:
            self.email = self.author.email


class FormerAddress(models.Model):
    """An address a piece used to have, so that old links keep working.

    The database writes these rows itself (a trigger on the commentary table)
    whenever a piece's slug, year or series changes, whatever code path saved it."""

    commentary = models.ForeignKey(
        Commentary, on_delete=models.CASCADE, related_name="former_addresses"
    )
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    slug = models.SlugField(max_length=200)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "former address"
        verbose_name_plural = "former addresses"
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "slug"], name="unique_former_address")
        ]

    def __str__(self):
        return f"/{self.series.slug}/{self.year}/{self.slug}/"


class GoLive(models.Model):
    """That a piece's go-live was announced (`piece_went_live`), for which
    publish time: the tick announces each publication once (commentaries/golive.py)."""

    commentary = models.OneToOneField(
        Commentary, on_delete=models.CASCADE, primary_key=True, related_name="go_live"
    )
    published_at = models.DateTimeField(help_text="The publish time that was announced.")
    announced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "go-live announcement"

    def __str__(self):
        return f"{self.commentary_id} live at {self.published_at:%Y-%m-%d %H:%M}"


class RenumberPermit(models.Model):
    """Lets the database accept a change to a live piece's number.

    The database refuses any change to the number, year or series of a piece
    readers have seen (triggers.py), unless a row for that piece stands here.
    Only `services.commentary_renumber` writes one, and deletes it inside the
    same transaction, so no other writer ever sees it."""

    commentary = models.OneToOneField(Commentary, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        verbose_name = "renumbering permit"

    def __str__(self):
        return f"Renumbering {self.commentary_id}: {self.reason}"


class SearchWord(models.Model):
    """A word readers may be offered in “Did you mean …?”: every word of the
    title, summary, body, authors and topics of published pieces, with the
    time it was first public.

    PostgreSQL keeps the list itself (statement triggers on the commentary
    table, see migration 0011), whatever code path publishes or edits a
    piece; a scheduled piece's words count from its publish time. Words of a
    piece taken down stay in the list. On SQLite the list stays empty and
    search offers no suggestions."""

    word = models.CharField(max_length=40, primary_key=True)
    first_published_at = models.DateTimeField()

    class Meta:
        ordering = ["word"]
        verbose_name = "search word"

    def __str__(self):
        return self.word


class ReviewStep(models.Model):
    """One step of a piece's review, with who took it: submitted for review,
    changes requested (with the editor's note to the author), approved
    (published or scheduled from review). The latest submission names the
    author the review answers to."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes", "Changes requested"
        APPROVED = "approved", "Approved"

    commentary = models.ForeignKey(
        Commentary, on_delete=models.CASCADE, related_name="review_steps"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who took the step (empty: the system, or a deleted account).",
    )
    note = models.TextField(blank=True, help_text="The editor's note to the author.")
    created_at = models.DateTimeField(default=timezone.now)
    # The step's email (review.py): when it left, or how often and when last
    # it failed; the go-live tick sends a failed one again (review.retry_failed_emails).
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_failures = models.PositiveSmallIntegerField(default=0)
    email_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "review step"
        indexes = [
            models.Index(
                fields=["commentary", "kind", "-created_at"], name="review_step_latest_idx"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.commentary_id}"


# History (django-reversion): a piece's versions carry its bylines and topic
# links, so a byline change shows in the piece's history and a restore can
# bring them back. Registered here, before the admin registers anything.
reversion.register(Byline)
reversion.register(TaggedCommentary)
reversion.register(Commentary, follow=["bylines", "tagged_items"])
