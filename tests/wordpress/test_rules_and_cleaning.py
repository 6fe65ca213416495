import pytest

from wordpress.cleaning import (
    clean_body,
    decode_cfemail,
    make_summary,
    split_closing_paragraphs,
)
from wordpress.rules import RulesError, load_rules


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize(
    "title",
    [
        "PacNet #68 – Resetting ties",
        "PacNet #68 — Resetting ties",
        "PacNet #68 - Resetting ties",
        "PacNet #68: Resetting ties",
        "PacNet #68 &#8211; Resetting ties",
        "PacNet&nbsp;#68 –&nbsp;Resetting ties",
        "pacnet #68 – Resetting ties",
    ],
)
def test_every_dash_variant_gives_series_number_and_title(rules, title):
    match = rules.match_title(title)
    assert (match.series_slug, match.number, match.suffix, match.title) == (
        "pacnet",
        68,
        "",
        "Resetting ties",
    )


@pytest.mark.parametrize(
    ("title", "suffix"), [("PacNet #68R – Reply", "R"), ("PacNet #68r2 — Reply", "R2")]
)
def test_a_response_number_keeps_its_suffix(rules, title, suffix):
    match = rules.match_title(title)
    assert (match.number, match.suffix, match.title) == (68, suffix, "Reply")


def test_issues_and_insights_keeps_volume_and_paper_in_the_title(rules):
    match = rules.match_title("Issues & Insights Vol. 19, WP3 – Ocean data")
    assert (match.series_slug, match.number, match.title) == (
        "issues-and-insights",
        None,
        "Vol. 19, WP3 – Ocean data",
    )


def test_a_title_without_a_series_is_left_whole(rules):
    match = rules.match_title("Spring conference")
    assert (match.series_slug, match.title) == (None, "Spring conference")


def test_a_rules_file_can_add_a_series_and_map_categories_to_it(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        'post_types = ["post"]\n'
        "[[series]]\n"
        'slug = "briefs"\nname = "Policy Briefs"\nshort_label = "Brief"\n'
        "title_patterns = ['^Brief\\s+No\\.\\s*(?P<number>\\d+):\\s*(?P<title>.+)$']\n"
        'categories = ["briefs"]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.post_types == {"post"}
    assert rules.match_title("Brief No. 7: Tuna stocks").number == 7
    assert rules.series_for_category({"briefs", "japan"}) == "briefs"
    assert rules.match_title("PacNet #1 – Gone").series_slug is None  # series replaced


def test_a_title_pattern_without_a_title_group_is_refused(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[series]]\nslug = "x"\nname = "X"\ntitle_patterns = ["^X (\\\\d+)"]\n')
    with pytest.raises(RulesError, match="needs a"):
        load_rules(path)


def test_cloudflare_hex_decodes_to_the_address():
    assert decode_cfemail("5a32742e3b343b313b1a3f223b372a363f7435283d") == "h.tanaka@example.org"
    assert decode_cfemail("zz") == ""


def test_literal_double_bracket_shortcodes_and_unknown_brackets_stay(rules):
    body = clean_body("Write [[caption]] to show a caption; see note [1] and [sic].", rules)
    assert body == "<p>Write [caption] to show a caption; see note [1] and [sic].</p>"


def test_embed_shortcode_becomes_a_link(rules):
    body = clean_body("[embed]https://video.example.org/talk[/embed]", rules)
    assert '<a href="https://video.example.org/talk"' in body


def test_scripts_and_styles_do_not_survive_cleaning(rules):
    body = clean_body('<p style="color:red" onclick="x()">Hi</p><script>alert(1)</script>', rules)
    assert body == "<p>Hi</p>"


def test_a_closing_paragraph_needs_an_email_and_a_lower_case_bio(rules):
    body = (
        "<p>The minister (then in office) is expected to resign.</p>\n"
        "<p>Kiri Ota (kiri@example.org) is a fellow.</p>"
    )
    rest, authors = split_closing_paragraphs(body, rules)
    assert [a.name for a in authors] == ["Kiri Ota"]
    assert rest == "<p>The minister (then in office) is expected to resign.</p>"


def test_a_long_first_paragraph_is_cut_for_the_summary():
    summary = make_summary("", "<p>" + "word " * 300 + "</p>")
    assert len(summary) <= 500
    assert summary.endswith("…")
