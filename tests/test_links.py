from django.urls import reverse, set_script_prefix

from pacforum.links import cached_reverse


def test_cached_addresses_equal_reverse_for_each_set_of_arguments():
    for slug in ("ana-lee", "bo-kim", "ana-lee"):
        assert cached_reverse("authors:detail", slug=slug) == reverse(
            "authors:detail", kwargs={"slug": slug}
        )
    assert cached_reverse("commentaries:detail", series="pacnet", year=2019, slug="x") == (
        "/pacnet/2019/x/"
    )


def test_cached_addresses_follow_the_script_prefix_of_the_deployment():
    assert cached_reverse("commentaries:topic", slug="trade") == "/topics/trade/"
    set_script_prefix("/think-tank/")
    try:
        assert cached_reverse("commentaries:topic", slug="trade") == "/think-tank/topics/trade/"
    finally:
        set_script_prefix("/")
    assert cached_reverse("commentaries:topic", slug="trade") == "/topics/trade/"
