import pytest
from django.db import IntegrityError, transaction

from tests.factories import AffiliationFactory, AuthorFactory, SubscriptionRequestFactory

pytestmark = pytest.mark.django_db


def test_author_emails_are_unique_regardless_of_case():
    AuthorFactory(email="Saeme.Kim@Example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorFactory(email="saeme.kim@example.org")


def test_authors_without_email_do_not_clash():
    AuthorFactory(email="")
    AuthorFactory(email="")


def test_subscription_emails_are_unique_regardless_of_case():
    SubscriptionRequestFactory(email="Reader@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionRequestFactory(email="reader@example.COM")


def test_sort_name_defaults_to_family_name_first():
    assert AuthorFactory(name="Saeme Kim", sort_name="").sort_name == "Kim, Saeme"


def test_an_affiliation_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        AffiliationFactory(start_date="2020-01-01", end_date="2019-01-01", is_current=False)


def test_a_current_affiliation_has_no_end_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        AffiliationFactory(start_date="2020-01-01", end_date="2021-01-01", is_current=True)
