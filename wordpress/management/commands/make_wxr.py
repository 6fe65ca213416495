"""Write a synthetic WordPress export of N posts, for the import benchmark.

The archive looks like a think tank's: numbered PacNet pieces with every dash
variant, responses, Issues & Insights papers, block-editor and classic posts,
shortcodes, images, closing author paragraphs (some Cloudflare-obfuscated),
tags, drafts and scheduled pieces. Same seed, same file.
"""

import random
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

WORDS = [
    "alliance",
    "maritime",
    "security",
    "ports",
    "shipping",
    "cooperation",
    "deterrence",
    "dialogue",
    "trade",
    "supply",
    "chains",
    "fisheries",
    "islands",
    "summit",
    "ministers",
    "coast",
    "guard",
    "cables",
    "energy",
    "climate",
    "resilience",
    "investment",
    "infrastructure",
    "elections",
    "governance",
    "treaty",
    "sanctions",
    "exercises",
    "regional",
    "partners",
    "capacity",
    "funding",
    "norms",
    "technology",
    "semiconductors",
    "tourism",
    "remittances",
    "development",
    "diplomacy",
    "strategy",
    "budget",
    "defense",
    "reform",
    "parliament",
    "agreement",
    "negotiations",
]
FIRST = [
    "Aiko",
    "Ben",
    "Chen",
    "Dara",
    "Elif",
    "Femi",
    "Grace",
    "Hana",
    "Ivan",
    "Jun",
    "Kiri",
    "Lena",
    "Malia",
    "Noah",
    "Omar",
    "Priya",
]
LAST = [
    "Ahn",
    "Bose",
    "Cruz",
    "Diaz",
    "Endo",
    "Fono",
    "Gupta",
    "Hale",
    "Ito",
    "Kaur",
    "Lee",
    "Moana",
    "Nair",
    "Ota",
    "Park",
    "Quinn",
]
DASHES = ["–", "—", "-", ":"]
TAGS = [w.title() for w in WORDS[:60]]


def cfemail(email, key):
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in email.encode())


def sentence(rng, n=14):
    words = rng.choices(WORDS, k=n)
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(3, 6)))


class Command(BaseCommand):
    help = "Write a synthetic WordPress export (WXR 1.2) of N think-tank posts."

    def add_arguments(self, parser):
        parser.add_argument("output", help="Where to write the .xml file.")
        parser.add_argument("--posts", type=int, default=10_000, help="How many posts (10000).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (7).")
        parser.add_argument(
            "--first-id", type=int, default=1000, help="WordPress ID of the first post (1000)."
        )
        parser.add_argument(
            "--featured-images",
            metavar="DIR",
            help="Give every post a featured image (an attachment with alt text) and write "
            "the JPEGs, each different, into DIR as a copy of wp-content/uploads.",
        )
        parser.add_argument(
            "--image-size",
            default="1200x675",
            help="Width x height of the featured images (1200x675, a common social size).",
        )

    def handle(self, *args, output, posts, seed, first_id, featured_images, image_size, **options):
        if posts < 1:
            raise CommandError("--posts must be at least 1.")
        try:
            width, height = (int(n) for n in image_size.lower().split("x"))
        except ValueError:
            raise CommandError("--image-size must look like 1200x675.") from None
        self.images = Path(featured_images) if featured_images else None
        self.image_size = (width, height)
        rng = random.Random(seed)
        authors = [
            (f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", f"author{i}@example.org")
            for i in range(300)
        ]
        start = datetime(2000, 1, 3, 9, 0)
        step = timedelta(days=(26 * 365) / posts)
        numbers: dict[int, int] = {}
        with open(output, "w", encoding="utf-8") as out:
            out.write(
                '<?xml version="1.0" encoding="UTF-8" ?>\n'
                '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
                "<title>Synthetic think tank</title><link>https://think.example.org</link>\n"
                "<wp:wxr_version>1.2</wp:wxr_version>\n"
                "<wp:author><wp:author_login><![CDATA[editor]]></wp:author_login>"
                "<wp:author_email><![CDATA[editor@think.example.org]]></wp:author_email>"
                "<wp:author_display_name><![CDATA[Publications Desk]]></wp:author_display_name>"
                "</wp:author>\n"
            )
            for i in range(posts):
                post_id = first_id + i
                when = start + step * i
                out.write(self.item(rng, post_id, when, authors, numbers))
                if self.images is not None:
                    out.write(self.featured_image(rng, post_id, when))
            out.write("</channel>\n</rss>\n")
        self.stdout.write(f"Wrote {posts:,} posts to {output}")
        if self.images is not None:
            self.stdout.write(f"Wrote {posts:,} featured images under {self.images}")

    def featured_image(self, rng, post_id, when):
        """An attachment item for the post, and its JPEG: a gradient with a
        band placed by the post id, so that no two files are the same."""
        from PIL import Image, ImageDraw

        path = f"{when:%Y/%m}/featured-{post_id}.jpg"
        target = self.images / path
        target.parent.mkdir(parents=True, exist_ok=True)
        width, height = self.image_size
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        draw = ImageDraw.Draw(image)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        x = post_id % max(width - 40, 1)
        draw.rectangle([x, 0, x + 40, height], fill=colour)
        image.save(target, "JPEG", quality=85)
        attachment_id = post_id + 10_000_000
        alt = f"Figure for post {post_id}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"
        return (
            f"<item><title>featured-{post_id}</title>\n"
            f"<link>https://think.example.org/?attachment_id={attachment_id}</link>\n"
            f"<dc:creator><![CDATA[editor]]></dc:creator>\n"
            f'<guid isPermaLink="false">https://think.example.org/wp-content/uploads/{path}</guid>\n'
            f"<content:encoded><![CDATA[]]></content:encoded>\n"
            f"<wp:post_id>{attachment_id}</wp:post_id>\n"
            f"<wp:post_date><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:post_date>\n"
            f"<wp:post_name><![CDATA[featured-{post_id}]]></wp:post_name>\n"
            f"<wp:status><![CDATA[inherit]]></wp:status>\n"
            f"<wp:post_parent>{post_id}</wp:post_parent>\n"
            f"<wp:post_type><![CDATA[attachment]]></wp:post_type>\n"
            f"<wp:attachment_url><![CDATA[https://think.example.org/wp-content/uploads/{path}]]>"
            f"</wp:attachment_url>\n"
            f"<wp:postmeta><wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key>"
            f"<wp:meta_value><![CDATA[{path}]]></wp:meta_value></wp:postmeta>\n"
            f"<wp:postmeta><wp:meta_key><![CDATA[_wp_attachment_image_alt]]></wp:meta_key>"
            f"<wp:meta_value><![CDATA[{alt}]]></wp:meta_value></wp:postmeta>\n"
            "</item>\n"
        )

    def item(self, rng, post_id, when, authors, numbers):
        topic = " ".join(rng.choices(WORDS, k=rng.randint(3, 7)))
        status = rng.choices(["publish", "draft", "future", "pending"], [95, 3, 1, 1])[0]
        if status == "future":
            when = when.replace(year=2040)
        year = when.year
        kind = rng.random()
        if kind < 0.1:
            title = f"Issues &amp; Insights Vol. {year % 100}, WP{rng.randint(1, 9)} – {topic}"
            category = ("issues-insights", "Issues &amp; Insights")
        elif kind < 0.15 and numbers.get(year):
            answered = rng.randint(1, numbers[year])
            title = f"PacNet #{answered}R {rng.choice(DASHES)} Response to “{topic}”"
            category = ("pacnet", "PacNet")
        else:
            numbers[year] = numbers.get(year, 0) + 1
            title = f"PacNet #{numbers[year]} {rng.choice(DASHES)} {topic.capitalize()}"
            category = ("pacnet", "PacNet")
        name = slugify(title)[:180]
        paragraphs = [paragraph(rng) for _ in range(rng.randint(4, 8))]
        block_editor = rng.random() < 0.5
        if block_editor:
            body = "\n\n".join(
                f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs
            )
        else:
            body = "\n\n".join(paragraphs)
            if rng.random() < 0.3:
                body += (
                    f'\n\n[caption id="attachment_{post_id}" width="640"]'
                    f'<img src="https://think.example.org/wp-content/uploads/{year}/01/'
                    f'figure-{post_id}.jpg" alt="Figure" width="640" height="400" /> '
                    f'Figure {post_id}.[/caption]\n\n[gallery ids="1,2"]'
                )
        closing = []
        for name_, email in rng.sample(authors, rng.choice([1, 1, 1, 2, 2, 3])):
            bio = f"is a fellow working on {rng.choice(WORDS)} and {rng.choice(WORDS)}."
            if rng.random() < 0.3:
                hexed = cfemail(email, rng.randint(1, 255))
                mail = (
                    f'<a href="/cdn-cgi/l/email-protection#{hexed}"><span class="__cf_email__" '
                    f'data-cfemail="{hexed}">[email&#160;protected]</span></a>'
                )
            else:
                mail = f'<a href="mailto:{email}">{email}</a>'
            closing.append(f"<p><strong>{name_}</strong> ({mail}) {bio}</p>")
        closing.append(
            "<p><em>PacNet commentaries and responses represent the views of the "
            "respective authors.</em></p>"
        )
        body += "\n\n" + "\n\n".join(closing)
        tags = "".join(
            f'<category domain="post_tag" nicename="{slugify(t)}"><![CDATA[{t}]]></category>'
            for t in rng.sample(TAGS, rng.randint(1, 4))
        )
        gmt = (
            "0000-00-00 00:00:00" if status in ("draft", "pending") else f"{when:%Y-%m-%d %H:%M:%S}"
        )
        link = (
            f"https://think.example.org/publications/{name}/"
            if status in ("publish", "future")
            else f"https://think.example.org/?p={post_id}"
        )
        return (
            f"<item><title>{title}</title>\n<link>{escape(link)}</link>\n"
            f"<dc:creator><![CDATA[editor]]></dc:creator>\n"
            f'<guid isPermaLink="false">https://think.example.org/?p={post_id}</guid>\n'
            f"<content:encoded><![CDATA[{body}]]></content:encoded>\n"
            f"<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n"
            f"<wp:post_id>{post_id}</wp:post_id>\n"
            f"<wp:post_date><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:post_date>\n"
            f"<wp:post_date_gmt><![CDATA[{gmt}]]></wp:post_date_gmt>\n"
            f"<wp:post_name><![CDATA[{name}]]></wp:post_name>\n"
            f"<wp:status><![CDATA[{status}]]></wp:status>\n"
            f"<wp:post_type><![CDATA[{rng.choice(['publication', 'post'])}]]></wp:post_type>\n"
            f"<wp:post_password><![CDATA[]]></wp:post_password>\n"
            + (
                f"<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>"
                f"<wp:meta_value><![CDATA[{post_id + 10_000_000}]]></wp:meta_value></wp:postmeta>\n"
                if self.images is not None
                else ""
            )
            + f'<category domain="category" nicename="{category[0]}">'
            f"<![CDATA[{category[1]}]]></category>{tags}\n</item>\n"
        )
