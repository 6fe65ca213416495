"""Original demo content for pacforum, built deterministically.

Everything here was written for this project: the institutes, people and
arguments are invented. The same seed always builds the same archive, so
`load_demo` can run again and again without adding anything twice.
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from authors.models import Affiliation, Author, Organization
from commentaries import surroundings
from commentaries.models import Byline, Commentary, Series, Topic
from commentaries.services import (
    commentary_add_correction,
    commentary_publish,
    commentary_withdraw,
)
from pacforum import pagecache

SERIES = [
    {
        "name": "PacNet",
        "slug": "pacnet",
        "short_label": "PacNet",
        "numbering": Series.Numbering.YEARLY,
        "position": 1,
        "description": "Short, timely commentary on security, politics and economics "
        "across the Indo-Pacific, published weekly.",
        "disclaimer": "<p>PacNet commentaries and responses speak for their authors "
        "alone. We welcome differing views: write to us with a response.</p>",
    },
    {
        "name": "Young Leaders Briefs",
        "slug": "young-leaders",
        "short_label": "YL Brief",
        "numbering": Series.Numbering.CONTINUOUS,
        "position": 2,
        "description": "Policy briefs written by members of the Young Leaders program.",
        "disclaimer": "<p>Young Leaders Briefs present the authors’ own analysis and "
        "not the position of the Forum or its supporters.</p>",
    },
    {
        "name": "Conference Reports",
        "slug": "conference-reports",
        "short_label": "Conference Report",
        "numbering": Series.Numbering.NONE,
        "position": 3,
        "subscribable": False,
        "description": "Summaries of the Forum’s dialogues and workshops, prepared by "
        "rapporteurs under the Chatham House rule.",
        "disclaimer": "<p>This report reflects the rapporteurs’ understanding of the "
        "discussion; it is not a consensus statement.</p>",
    },
]

ORGANIZATIONS = [
    ("Lanai Institute for Maritime Affairs", "https://example.org/lima"),
    ("Coral Harbor Policy Center", "https://example.org/chpc"),
    ("Northern Straits University", "https://example.edu/nsu"),
    ("Meridian Strategy Group", "https://example.com/meridian"),
    ("Institute for Island Economies", "https://example.org/iie"),
    ("Eastgate Security Studies Centre", "https://example.org/essc"),
    ("Tidewater College", "https://example.edu/tidewater"),
    ("Pacific Forum", "https://example.org/forum"),
]

FIRST_NAMES = [
    "Aiko",
    "Minh",
    "Priya",
    "Tomas",
    "Leilani",
    "Daniel",
    "Hyun-woo",
    "Sofia",
    "Rafael",
    "Mei",
    "Arjun",
    "Noelani",
    "Kenji",
    "Isabel",
    "Farid",
    "Ana",
    "Joon",
    "Claire",
    "Tevita",
    "Yuki",
    "Marcus",
    "Linh",
    "Ravi",
    "Hana",
]
LAST_NAMES = [
    "Okafor",
    "Tanaka",
    "Nguyen",
    "Reyes",
    "Kahale",
    "Lindqvist",
    "Park",
    "Moreau",
    "Santos",
    "Chen",
    "Iyer",
    "Fonoti",
    "Watanabe",
    "Delgado",
    "Rahimi",
    "Kowalski",
    "Lim",
    "Fischer",
    "Vaipulu",
    "Mori",
    "Abernathy",
    "Tran",
    "Menon",
    "Suzuki",
]
ROLES = [
    "a senior fellow",
    "a research associate",
    "a visiting scholar",
    "an adjunct professor",
    "a non-resident fellow",
    "a PhD candidate",
    "the director of studies",
    "a program officer",
]

TOPICS = [
    ("Maritime security", True),
    ("Alliances", True),
    ("Trade and supply chains", True),
    ("Nuclear policy", True),
    ("Climate and resilience", False),
    ("Technology", False),
    ("Diplomacy", False),
    ("Pacific Islands", True),
    ("Energy", False),
    ("Cybersecurity", False),
    ("Fisheries", False),
    ("Development finance", False),
]

SUBJECTS = [
    "coast guard cooperation",
    "undersea cable protection",
    "critical minerals",
    "port investment",
    "disaster response",
    "fisheries enforcement",
    "export controls",
    "semiconductor supply",
    "alliance burden-sharing",
    "regional air defense",
    "island infrastructure",
    "deep-sea mining",
    "election security",
    "maritime domain awareness",
    "green shipping corridors",
    "digital trade rules",
    "nuclear safeguards",
    "crisis hotlines",
]
PLACES = [
    "the South China Sea",
    "the Pacific Islands",
    "Northeast Asia",
    "the Mekong basin",
    "the Taiwan Strait",
    "the Bay of Bengal",
    "the Coral Sea",
    "the Korean Peninsula",
    "Southeast Asia",
    "the Indian Ocean",
]
TITLE_SHAPES = [
    "Why {subject} in {place} needs a new playbook",
    "Getting {subject} right in {place}",
    "The quiet stakes of {subject} in {place}",
    "Three lessons on {subject} from {place}",
    "What {subject} means for {place} after the summit",
    "A realistic agenda for {subject} in {place}",
    "Rethinking {subject}: a view from {place}",
    "{subject_cap} and the limits of deterrence in {place}",
]

OPENINGS = [
    "Few policy debates in {place} have moved as quickly this year as the one over {subject}.",
    "Governments across {place} agree that {subject} matters; they disagree on who should pay.",
    "The announcement caught most observers off guard, but the pressure behind it on "
    "{subject} had been building for years in {place}.",
    "Ask ten officials in {place} about {subject} and you will hear ten different priorities.",
]
MIDDLES = [
    "The first problem is coordination. Agencies that rarely speak to each other now share "
    "responsibility, and neither budgets nor legal authorities have caught up.",
    "Capacity is the second constraint. Smaller states are asked to carry commitments that "
    "assume ships, analysts and funds they do not have.",
    "Outside partners can help, but only if they listen first. Programs designed far away "
    "tend to collapse once the visiting delegations leave.",
    "Domestic politics complicate every step. Leaders who signal flexibility abroad face "
    "accusations at home of trading away sovereignty.",
    "Private companies hold much of the relevant data and infrastructure, which means any "
    "serious plan has to give them clear rules and a seat at the table.",
    "Regional institutions offer a forum, yet their consensus habits slow decisions exactly "
    "when speed matters most.",
    "Transparency is an underused tool. Publishing even basic figures would let partners "
    "spot gaps before they turn into crises.",
    "Training exchanges, joint exercises and shared standards build the habits that make "
    "cooperation possible on a bad day.",
]
CLOSINGS = [
    "None of this requires a grand bargain. It requires patient, specific steps, taken "
    "together and measured honestly.",
    "The window for getting {subject} right will not stay open for long; the next year "
    "will show whether capitals are serious.",
    "If partners treat {subject} as a shared project rather than a contest, {place} could "
    "become a model rather than a warning.",
]


def _paragraphs(rng, subject, place):
    opening = rng.choice(OPENINGS).format(subject=subject, place=place)
    middle = rng.sample(MIDDLES, k=rng.randint(3, 5))
    closing = rng.choice(CLOSINGS).format(subject=subject, place=place)
    heading = "<h2>What should change</h2>"
    paragraphs = [f"<p>{opening}</p>"] + [f"<p>{p}</p>" for p in middle]
    paragraphs.insert(3, heading)
    paragraphs.append(
        "<ul><li>Agree on shared definitions first.</li>"
        "<li>Fund the people, not only the equipment.</li>"
        "<li>Report progress publicly every year.</li></ul>"
    )
    paragraphs.append(f"<p>{closing}</p>")
    return "\n".join(paragraphs)


def _people(rng):
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    return names[:40]


@transaction.atomic
def load_demo(*, seed=68, now=None):
    """Create (or leave in place) the demo archive. Returns counts of what was created.

    Pieces go through the services, as an editor's would; the work each
    publish does for the pieces around it (their stored neighbours and
    related pieces, the page-cache keys they change) is done once, for the
    whole archive, at the end."""
    with pagecache.held(), surroundings.deferred():
        return _load(seed=seed, now=now)


def _load(*, seed, now):
    rng = random.Random(seed)
    now = now or timezone.now()
    created = {"series": 0, "authors": 0, "commentaries": 0}

    series_list = []
    for data in SERIES:
        data = dict(data)
        series, made = Series.objects.get_or_create(slug=data.pop("slug"), defaults=data)
        created["series"] += made
        series_list.append(series)

    organizations = [
        Organization.objects.get_or_create(name=name, defaults={"url": url})[0]
        for name, url in ORGANIZATIONS
    ]
    topics = [
        Topic.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "featured": featured}
        )[0]
        for name, featured in TOPICS
    ]

    authors = []
    for index, name in enumerate(_people(rng)):
        org = organizations[index % len(organizations)]
        role = ROLES[index % len(ROLES)]
        slug = slugify(name)
        author, made = Author.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "email": f"{slug.replace('-', '.')}@example.org",
                "show_email": index % 3 != 0,
                "short_bio": f"is {role} at the {org.name}."
                if not org.name.endswith(("University", "College"))
                else f"is {role} at {org.name}.",
                "long_bio": f"<p>{name} works on {rng.choice(SUBJECTS)} and "
                f"{rng.choice(SUBJECTS)}, with a focus on {rng.choice(PLACES)}.</p>",
            },
        )
        if made:
            created["authors"] += 1
            Affiliation.objects.create(
                author=author,
                organization=org,
                role=role.split(" ", 1)[1].capitalize(),
                start_date=datetime(2018 + index % 6, 1 + index % 12, 1).date(),
            )
            if index % 4 == 0:
                past = organizations[(index + 3) % len(organizations)]
                Affiliation.objects.create(
                    author=author,
                    organization=past,
                    role="Research assistant",
                    start_date=datetime(2012, 9, 1).date(),
                    end_date=datetime(2017, 6, 30).date(),
                    is_current=False,
                )
        authors.append(author)

    start = now - timedelta(days=7 * 140)
    combos = [
        (shape, subject, place)
        for shape in TITLE_SHAPES
        for subject in SUBJECTS
        for place in PLACES
    ]
    rng.shuffle(combos)
    published = {series.pk: [] for series in series_list}
    for index in range(150):
        # Each piece has its own random stream, so re-runs that skip existing
        # pieces still build exactly the same archive.
        item_rng = random.Random(f"{seed}-{index}")
        series = series_list[0] if index % 5 < 3 else series_list[1 + index % 2]
        shape, subject, place = combos[index]
        title = shape.format(subject=subject, subject_cap=subject.capitalize(), place=place)
        earlier = published[series.pk]
        responds_to = None
        if index % 17 == 16 and earlier:
            responds_to = earlier[-1 - index % 3] if len(earlier) > 3 else earlier[-1]
            title = f"On {subject}: a response to “{responds_to.title}”"
        draft = index in {40, 80, 120, 141, 145, 147, 148, 149}
        existing = Commentary.objects.filter(series=series, title=title).first()
        if existing:
            if not draft:
                earlier.append(existing)
            continue
        summary = (
            f"A closer look at {subject} in {place}: what has changed, what has not, "
            "and the steps worth taking next."
        )
        commentary = Commentary.objects.create(
            series=series,
            title=title,
            slug=slugify(title)[:200],
            summary=summary,
            body=_paragraphs(item_rng, subject, place),
            responds_to=responds_to,
        )
        commentary.topics.set(item_rng.sample(topics, k=item_rng.randint(1, 3)))
        for position, author in enumerate(item_rng.sample(authors, k=item_rng.randint(1, 4))):
            Byline.objects.create(commentary=commentary, author=author, position=position)
        created["commentaries"] += 1
        if draft:
            continue
        when = start + timedelta(days=7 * index, hours=item_rng.randint(0, 8))
        if index >= 143:
            when = now + timedelta(days=index - 140)  # scheduled
        commentary_publish(commentary=commentary, at=when)
        earlier.append(commentary)
    _withdraw_and_correct(published[series_list[0].pk])
    return created


WITHDRAWAL_NOTE = (
    "This commentary has been withdrawn. Its account of the 2019 port agreement relied "
    "on a draft text that was later changed; the figures it cited do not appear in the "
    "signed agreement."
)
CORRECTION = (
    "An earlier version of this commentary gave the wrong year for the regional coast "
    "guard forum; it first met in 2016, not 2014."
)


def _withdraw_and_correct(pacnet_pieces):
    """One withdrawn piece (with its editors' note) and one live piece with a
    correction note, so that the demo shows both. Chosen by their place in the
    archive and done once: a second run finds them done."""
    live = [
        piece
        for piece in pacnet_pieces
        if piece.is_live or piece.status == Commentary.Status.WITHDRAWN
    ]
    # A piece nobody responds to: a withdrawn original would leave its
    # responses pointing at a tombstone.
    answered = set(
        Commentary.objects.filter(responds_to__isnull=False).values_list("responds_to", flat=True)
    )
    unanswered = [p for p in live if p.responds_to_id is None and p.pk not in answered]
    withdrawn, corrected = unanswered[10], unanswered[-2]
    withdrawn.refresh_from_db()
    corrected.refresh_from_db()
    if withdrawn.status != Commentary.Status.WITHDRAWN:
        commentary_withdraw(commentary=withdrawn, note=WITHDRAWAL_NOTE)
    if not corrected.corrections:
        commentary_add_correction(commentary=corrected, text=CORRECTION)
