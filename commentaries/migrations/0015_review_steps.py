import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def pieces_in_review_were_submitted(apps, schema_editor):
    """A piece already in review was submitted by its last editor, at its
    last save: the best witness there is for the review queue."""
    Commentary = apps.get_model("commentaries", "Commentary")
    ReviewStep = apps.get_model("commentaries", "ReviewStep")
    ReviewStep.objects.bulk_create(
        ReviewStep(
            commentary=piece,
            kind="submitted",
            user_id=piece.last_edited_by_id or piece.created_by_id,
            created_at=piece.updated_at,
        )
        for piece in Commentary.objects.filter(status="review")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commentaries", "0014_surroundings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted for review"),
                            ("changes", "Changes requested"),
                            ("approved", "Approved"),
                        ],
                        max_length=10,
                    ),
                ),
                ("note", models.TextField(blank=True, help_text="The editor's note to the author.")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                (
                    "commentary",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_steps",
                        to="commentaries.commentary",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="Who took the step (empty: the system, or a deleted account).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "review step",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["commentary", "kind", "-created_at"],
                        name="review_step_latest_idx",
                    )
                ],
            },
        ),
        migrations.RunPython(pieces_in_review_were_submitted, migrations.RunPython.noop),
    ]
