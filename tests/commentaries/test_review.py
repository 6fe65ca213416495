"""Review: a contributor submits, the editors hear of it by email through the
task queue, an editor requests changes with a note (emailed to the author and
shown on the form) or approves by publishing or scheduling; the queue on the
dashboard lists what waits, longest first."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commentaries import review, rules
from commentaries.models import Commentary, ReviewStep
from commentaries.services import (
    commentary_publish,
    commentary_request_changes,
    commentary_return_to_draft,
    commentary_submit,
)
from commentaries.tasks import go_live_tick
from tests.commentaries.test_admin import form_data, opened_at
from tests.factories import (
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Action, State = rules.Action, rules.State


@pytest.fixture
def pacnet():
    return SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")


@pytest.fixture
def editor():
    return UserFactory(username="editor", email="editor@example.org", groups=["Editors"])


@pytest.fixture
def contributor():
    return UserFactory(
        username="contributor",
        email="ana@example.org",
        first_name="Ana",
        last_name="Lee",
        groups=["Contributors"],
    )


def piece_in(state, *, series, created_by):
    fields = {
        State.DRAFT: {},
        State.IN_REVIEW: {"status": Commentary.Status.REVIEW},
        State.SCHEDULED: {"scheduled": True},
        State.PUBLISHED: {"published": True},
        State.WITHDRAWN: {
            "published": True,
            "status": Commentary.Status.WITHDRAWN,
            "withdrawn_at": timezone.now(),
            "withdrawal_note": "Withdrawn.",
        },
    }[state]
    return CommentaryFactory(series=series, created_by=created_by, **fields)


# The rules: who may submit, request changes and approve, from which states.

# (action, state) -> (contributor on their own piece, contributor on another's, editor)
REVIEW_RULES = {
    (Action.SUBMIT, State.DRAFT): (True, False, True),
    (Action.REQUEST_CHANGES, State.IN_REVIEW): (False, False, True),
    (Action.RETURN, State.IN_REVIEW): (True, False, True),
    # Approving a piece is publishing or scheduling it.
    (Action.PUBLISH, State.IN_REVIEW): (False, False, True),
    (Action.PUBLISH, State.DRAFT): (False, False, True),
    (Action.PUBLISH, State.SCHEDULED): (False, False, True),
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize(
    "action", [Action.SUBMIT, Action.REQUEST_CHANGES, Action.RETURN, Action.PUBLISH]
)
def test_each_review_rule_holds_for_each_role_and_state(action, state, pacnet, editor, contributor):
    own = piece_in(state, series=pacnet, created_by=contributor)
    others = piece_in(state, series=pacnet, created_by=editor)
    expected = REVIEW_RULES.get((action, state), (False, False, False))
    assert (
        rules.allows(contributor, action, own),
        rules.allows(contributor, action, others),
        rules.allows(editor, action, own),
    ) == expected


def test_the_services_check_the_rules_whoever_calls_them(pacnet, editor, contributor):
    draft = CommentaryFactory(series=pacnet, created_by=contributor)
    with pytest.raises(PermissionDenied):
        commentary_request_changes(commentary=draft, note="Too early.", user=editor)
    in_review = commentary_submit(commentary=draft, user=contributor)
    with pytest.raises(PermissionDenied):
        commentary_request_changes(commentary=in_review, note="Mine.", user=contributor)
    with pytest.raises(PermissionDenied):
        commentary_publish(commentary=in_review, user=contributor)
    with pytest.raises(PermissionDenied):
        commentary_submit(commentary=in_review, user=contributor)
    in_review.refresh_from_db()
    assert in_review.status == Commentary.Status.REVIEW
    assert list(in_review.review_steps.values_list("kind", flat=True)) == ["submitted"]


# Submitting


def test_submitting_records_who_submitted_and_queues_the_editors_email(
    pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    UserFactory(username="second-editor", email="bo@example.org", groups=["Editors"])
    UserFactory(username="gone", email="gone@example.org", groups=["Editors"], is_active=False)
    UserFactory(username="other-contributor", email="cy@example.org", groups=["Contributors"])
    piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor, title="Sea lanes")

    with django_capture_on_commit_callbacks() as queued:
        commentary_submit(commentary=piece, user=contributor)
    # Nothing is sent inside the request: the email waits in the task queue.
    assert mail.outbox == []
    assert len(queued) == 1
    step = ReviewStep.objects.get()
    assert (step.kind, step.user, step.commentary_id) == ("submitted", contributor, piece.pk)

    queued[0]()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == ["bo@example.org", "editor@example.org"]
    assert email.subject == "For review: Sea lanes"
    assert "Ana Lee submitted a piece for review" in email.body
    assert "Sea lanes" in email.body
    change_url = reverse("admin:commentaries_commentary_change", args=[piece.pk])
    assert f"http://127.0.0.1:8000{change_url}" in email.body


def test_the_editors_email_links_to_the_configured_site(
    settings, pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://www.example.org/"
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=contributor)
    change_url = reverse("admin:commentaries_commentary_change", args=[piece.pk])
    assert f"https://www.example.org{change_url}\n" in mail.outbox[0].body


@pytest.fixture
def mail_server_down(settings):
    """Django's SMTP backend pointed at a port nothing listens on: every send
    is refused, as when the mail server is down."""
    from tests.isolation import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    return settings


def test_a_review_email_the_mail_server_refused_leaves_on_a_later_tick(
    mail_server_down, pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor, title="Sea lanes")
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=contributor)
    step = ReviewStep.objects.get()
    assert (step.emailed_at, step.email_failures) == (None, 1)
    assert review.retry_failed_emails() == 0  # too soon

    mail_server_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ReviewStep.objects.update(email_failed_at=timezone.now() - review.EMAIL_RETRY_AFTER)
    go_live_tick.call()
    assert [email.subject for email in mail.outbox] == ["For review: Sea lanes"]
    step.refresh_from_db()
    assert step.emailed_at is not None
    # Sent: no later tick sends it again.
    later = timezone.now() + 3 * review.EMAIL_RETRY_AFTER
    assert review.retry_failed_emails(now=later) == 0
    assert len(mail.outbox) == 1


def test_a_review_email_that_keeps_failing_is_tried_a_bounded_number_of_times(
    mail_server_down, pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=contributor)
    later = timezone.now()
    retried = 0
    for _ in range(review.EMAIL_TRIES + 3):
        later += review.EMAIL_RETRY_AFTER + timedelta(minutes=1)
        retried += review.retry_failed_emails(now=later)
    step = ReviewStep.objects.get()
    assert retried == review.EMAIL_TRIES - 1
    assert (step.email_failures, step.emailed_at) == (review.EMAIL_TRIES, None)


# Requesting changes


def test_requesting_changes_sends_the_piece_back_to_draft_and_emails_its_submitter(
    pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = CommentaryFactory(series=pacnet, created_by=contributor, title="Sea lanes")
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=contributor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as queued:
        commentary_request_changes(
            commentary=piece, note="  Cite the 2016 agreement.\nShorten the summary.  ", user=editor
        )
    assert mail.outbox == []
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.DRAFT
    assert rules.allows(contributor, Action.EDIT, piece)
    step = piece.review_steps.first()
    assert (step.kind, step.user, step.note) == (
        "changes",
        editor,
        "Cite the 2016 agreement.\nShorten the summary.",
    )

    for callback in queued:
        callback()
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert mail.outbox[0].subject == "Changes requested: Sea lanes"
    assert "Cite the 2016 agreement.\nShorten the summary." in mail.outbox[0].body


def test_the_note_goes_to_whoever_submitted_not_whoever_created_the_piece(
    pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    # An editor started the piece for a contributor's text; the contributor
    # never submitted it, the editor did: the note comes back to the editor.
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    second = UserFactory(username="second-editor", email="bo@example.org", groups=["Editors"])
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=second)
        commentary_request_changes(commentary=piece, note="Fix the title.", user=editor)
    assert mail.outbox[-1].to == ["bo@example.org"]


def test_a_request_for_changes_needs_a_note(pacnet, editor):
    piece = CommentaryFactory(series=pacnet, status=Commentary.Status.REVIEW)
    with pytest.raises(ValidationError) as error:
        commentary_request_changes(commentary=piece, note="   ", user=editor)
    assert "Say what the author should change." in error.value.messages
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.REVIEW
    assert not ReviewStep.objects.exists()


def test_a_contributor_taking_a_piece_back_sends_no_email(
    pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_submit(commentary=piece, user=contributor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        commentary_return_to_draft(commentary=piece, user=contributor)
    assert mail.outbox == []


# Approving


def test_approving_is_publishing_or_scheduling_and_is_recorded(pacnet, editor, contributor):
    now_piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
    later_piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
    for piece in (now_piece, later_piece):
        commentary_submit(commentary=piece, user=contributor)
    commentary_publish(commentary=now_piece, user=editor)
    commentary_publish(commentary=later_piece, user=editor, at=timezone.now() + timedelta(days=2))
    assert rules.state_of(now_piece) == State.PUBLISHED
    assert rules.state_of(later_piece) == State.SCHEDULED
    for piece in (now_piece, later_piece):
        step = piece.review_steps.first()
        assert (step.kind, step.user) == ("approved", editor)


def test_approval_still_needs_the_checks_before_publishing(pacnet, editor, contributor):
    piece = CommentaryFactory(series=pacnet, created_by=contributor, summary="")
    commentary_submit(commentary=piece, user=contributor)
    with pytest.raises(ValidationError) as error:
        commentary_publish(commentary=piece, user=editor)
    assert "Add an author." in error.value.messages
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.REVIEW
    assert not piece.review_steps.filter(kind="approved").exists()


# The admin


def test_an_editor_requests_changes_from_the_admin_and_the_author_reads_the_note(
    client, pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = CommentaryFactory(series=pacnet, created_by=contributor, title="Sea lanes")
    commentary_submit(commentary=piece, user=contributor)
    client.force_login(editor)
    change = reverse("admin:commentaries_commentary_change", args=[piece.pk])
    page = client.get(change).content.decode()
    assert "Request changes…" in page
    assert "Approve: publish or schedule" in page

    url = reverse("admin:commentaries_commentary_request_changes", args=[piece.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"note": ["This field is required."]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"note": "Cite <the> 2016 agreement."})
    assert response.status_code == 302
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.DRAFT
    assert "Cite <the> 2016 agreement." in mail.outbox[-1].body

    client.force_login(contributor)
    page = client.get(change).content.decode()
    assert "Changes requested by editor" in page
    assert "Cite &lt;the&gt; 2016 agreement." in page
    assert 'name="_submit"' in page


def test_contributors_may_not_open_the_request_changes_page(client, pacnet, editor, contributor):
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    commentary_submit(commentary=piece, user=contributor)
    client.force_login(contributor)
    url = reverse("admin:commentaries_commentary_request_changes", args=[piece.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"note": "Approve it myself."}).status_code == 403
    page = client.get(reverse("admin:commentaries_commentary_change", args=[piece.pk]))
    assert "Request changes" not in page.content.decode()
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.REVIEW


def test_submitting_from_the_change_form_tells_the_editors(
    client, pacnet, editor, contributor, django_capture_on_commit_callbacks
):
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    client.force_login(contributor)
    change = reverse("admin:commentaries_commentary_change", args=[piece.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change, {**form_data(pacnet), **opened_at(piece), "_submit": "1"}, follow=True
        )
    assert "the editors are told by email" in response.content.decode()
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.REVIEW
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]


# The dashboard's review queue


def test_the_review_queue_lists_pieces_in_review_oldest_first(client, pacnet, editor, contributor):
    newer = CommentaryFactory(series=pacnet, created_by=contributor, title="Submitted today")
    older = CommentaryFactory(series=pacnet, created_by=contributor, title="Submitted last week")
    CommentaryFactory(series=pacnet, created_by=contributor, title="Still a draft")
    commentary_submit(commentary=newer, user=contributor)
    commentary_submit(commentary=older, user=contributor)
    older.review_steps.update(created_at=timezone.now() - timedelta(days=7))
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    queue = html.split('id="review-queue"', 1)[1].split("</table>", 1)[0]
    assert "Review queue (2)" in html
    assert queue.index("Submitted last week") < queue.index("Submitted today")
    assert "Still a draft" not in queue
    assert "by Ana Lee" in queue
    assert reverse("admin:commentaries_commentary_change", args=[older.pk]) in queue


def test_the_review_queue_runs_the_same_queries_however_long(client, pacnet, editor, contributor):
    def submit(count):
        for _ in range(count):
            piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
            commentary_submit(commentary=piece, user=contributor)

    client.force_login(editor)
    submit(1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:index"))
    submit(14)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("admin:index")).content.decode()
    assert len(many) == len(few) + 1  # the count, once the queue is longer than a page
    assert "Review queue (15)" in html
    assert "See all 15" in html


def test_contributors_see_no_review_queue(client, pacnet, contributor):
    piece = CommentaryFactory(series=pacnet, created_by=contributor)
    commentary_submit(commentary=piece, user=contributor)
    client.force_login(contributor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "My drafts" in html
    assert "Review queue" not in html
