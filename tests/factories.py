import io
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from authors.models import Affiliation, Author, Organization
from commentaries import batching, services, surroundings
from commentaries.models import Byline, Commentary, Series, Topic
from subscriptions.models import SubscriptionRequest


class SeriesFactory(DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Series {n}")
    slug = factory.Sequence(lambda n: f"series-{n}")
    short_label = factory.SelfAttribute("name")
    disclaimer = "<p>Views are the authors’ own.</p>"


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Institute {n}")


class AuthorFactory(DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"author-{n}")
    email = factory.Sequence(lambda n: f"author{n}@example.org")
    show_email = True
    short_bio = "is a senior fellow at an institute."


class AffiliationFactory(DjangoModelFactory):
    class Meta:
        model = Affiliation

    author = factory.SubFactory(AuthorFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "Fellow"


class CommentaryFactory(DjangoModelFactory):
    """A draft by default; use `published=True` or `scheduled=True` traits."""

    class Meta:
        model = Commentary

    series = factory.SubFactory(SeriesFactory)
    title = factory.Sequence(lambda n: f"Commentary number {n}")
    slug = factory.Sequence(lambda n: f"commentary-{n}")
    summary = "A short summary."
    body = "<p>Body text.</p>"

    class Params:
        published = factory.Trait(
            status=Commentary.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
            year=factory.LazyAttribute(lambda o: o.published_at.year),
            number=factory.Sequence(lambda n: n + 1),
        )
        scheduled = factory.Trait(
            status=Commentary.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=1)),
            year=factory.LazyAttribute(lambda o: o.published_at.year),
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A published or scheduled piece is written directly, not through
        the services: its neighbours and related pieces are worked out here,
        as the services do."""
        piece = super()._create(model_class, *args, **kwargs)
        if piece.status == Commentary.Status.PUBLISHED:
            surroundings.refresh(pieces=[piece])
        return piece


class BylineFactory(DjangoModelFactory):
    class Meta:
        model = Byline

    commentary = factory.SubFactory(CommentaryFactory)
    author = factory.SubFactory(AuthorFactory)
    position = factory.Sequence(lambda n: n)


def piece_with(*, authors=2, topics=2, **kwargs):
    """A published piece by `authors` new authors, each with an affiliation,
    on `topics` new topics. Its credits and its series' menus are worked out
    once, at the end, as an admin form saving it with its bylines does."""
    with batching.batched():
        piece = CommentaryFactory(published=True, **kwargs)
        for _ in range(authors):
            author = AuthorFactory()
            AffiliationFactory(author=author)
            BylineFactory(commentary=piece, author=author)
        if topics:
            services.commentary_set_topics(
                commentary=piece, topics=[*piece.topics.all(), *TopicFactory.create_batch(topics)]
            )
    return piece


class ReadyCommentaryFactory(CommentaryFactory):
    """A draft that passes the checks before publishing: an author with a bio,
    a summary and a body."""

    byline = factory.RelatedFactory(BylineFactory, factory_related_name="commentary")


class SubscriptionRequestFactory(DjangoModelFactory):
    class Meta:
        model = SubscriptionRequest
        skip_postgeneration_save = True

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    consent_text = "We keep your name and email only to send the series you chose."
    consent_version = "2026-11"

    @factory.post_generation
    def series(self, create, extracted, **kwargs):
        if create and extracted:
            self.series.set(extracted)


# The editors' workspace: staff accounts in the roles `setup_roles` creates.
class UserFactory(DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("a-long-test-password")
    is_staff = True

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        from django.contrib.auth.models import Group
        from django.core.management import call_command

        if not names:
            return
        if Group.objects.filter(name__in=names).count() != len(names):
            call_command("setup_roles", stdout=io.StringIO())
        self.groups.add(*Group.objects.filter(name__in=names))


def pdf_bytes(pages=1) -> bytes:
    """A real (blank) PDF, written by pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
