import pytest
from django.contrib.redirects.models import Redirect

from wordpress.models import ImportedPost

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(archive, import_wxr):
    import_wxr(archive)

    def url(wp_post_id):
        return ImportedPost.objects.get(wp_post_id=wp_post_id).commentary.get_absolute_url()

    return url


def test_the_old_permalink_redirects_permanently_to_the_new_page(client, imported):
    response = client.get(
        "/publications/pacnet-12-harbour-diplomacy-why-small-ports-carry-big-weight/"
    )
    assert response.status_code == 301
    assert response["Location"] == imported(101)
    assert (
        response["Location"] == "/pacnet/2021/harbour-diplomacy-why-small-ports-carry-big-weight/"
    )
    assert client.get(response["Location"]).status_code == 200


def test_the_wordpress_short_link_redirects_permanently(client, imported):
    response = client.get("/?p=102")
    assert response.status_code == 301
    assert response["Location"] == imported(102)


def test_the_guid_address_redirects_permanently(client, imported):
    response = client.get("/?post_type=publication&p=101")
    assert response.status_code == 301
    assert response["Location"] == imported(101)


def test_a_percent_encoded_cjk_permalink_redirects(client, imported):
    response = client.get("/publications/pacnet-16-%E6%97%A5%E6%9C%AC%E3%81%A8%E9%9F%93%E5%9B%BD/")
    assert response.status_code == 301
    assert response["Location"] == imported(107)


def test_an_unknown_short_link_shows_the_home_page(client, imported):
    assert client.get("/?p=999999").status_code == 200
    assert client.get("/?p=abc").status_code == 200


def test_an_editor_can_repoint_an_imported_redirect(client, imported):
    Redirect.objects.filter(old_path="/?p=102").update(new_path="/pacnet/")
    response = client.get("/?p=102")
    assert response.status_code == 301
    assert response["Location"] == "/pacnet/"


def test_an_emptied_redirect_answers_gone(client, imported):
    Redirect.objects.filter(old_path="/?p=102").update(new_path="")
    assert client.get("/?p=102").status_code == 410


def test_redirects_and_imported_posts_are_listed_in_the_admin(admin_client, imported):
    assert "/?p=101" in admin_client.get("/admin/redirects/redirect/").content.decode()
    page = admin_client.get("/admin/wordpress/importedpost/")
    assert page.status_code == 200
    assert "Harbour diplomacy" in page.content.decode()
    assert admin_client.get("/admin/wordpress/importedpost/add/").status_code == 403
