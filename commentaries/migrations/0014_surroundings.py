from django.db import migrations, models


def work_out_every_piece(apps, schema_editor):
    # The module's own code (it reads and writes only the columns it names),
    # so the stored data is what the services keep from now on.
    from commentaries.surroundings import refresh_all

    refresh_all()


class Migration(migrations.Migration):
    dependencies = [
        ("commentaries", "0013_number_lookup_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="commentary",
            name="surroundings",
            field=models.JSONField(
                blank=True,
                db_default=models.Value({}, models.JSONField()),
                default=dict,
                editable=False,
                help_text="Derived from the published pieces, kept current by the services "
                "(commentaries/surroundings.py): the ids of the previous and next pieces of "
                "the series and of the related pieces, in rank order.",
            ),
        ),
        migrations.RunPython(work_out_every_piece, migrations.RunPython.noop, elidable=True),
    ]
