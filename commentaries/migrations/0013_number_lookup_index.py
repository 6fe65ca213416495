from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("commentaries", "0012_feed_options")]

    operations = [
        migrations.AddIndex(
            model_name="commentary",
            index=models.Index(fields=["number", "year"], name="commentary_number_idx"),
        ),
    ]
