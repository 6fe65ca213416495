import pytest
from django.contrib.redirects.models import Redirect
from django.core.management.base import CommandError

from authors.models import Author
from commentaries.models import Commentary, Series, Topic

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

WXR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
    "<channel><title>Think tank</title>"
)


def nothing_changed():
    return not (
        Commentary.objects.exists()
        or Series.objects.exists()
        or Author.objects.exists()
        or Topic.objects.exists()
        or Redirect.objects.exists()
    )


def write(tmp_path, content):
    path = tmp_path / "export.xml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_a_file_that_is_not_xml_is_refused(tmp_path, import_wxr):
    path = write(tmp_path, "title,date\nPacNet #1,2020-01-01\n")
    with pytest.raises(CommandError, match=r"is not well-formed XML.*Nothing was imported"):
        import_wxr(path)
    assert nothing_changed()


def test_an_empty_file_is_refused(tmp_path, import_wxr):
    with pytest.raises(CommandError, match=r"is empty\. Nothing was imported"):
        import_wxr(write(tmp_path, b""))
    assert nothing_changed()


def test_a_truncated_export_changes_nothing(archive, tmp_path, import_wxr):
    content = archive.read_bytes()
    path = write(tmp_path, content[: len(content) * 2 // 3])
    with pytest.raises(CommandError, match="The file looks truncated"):
        import_wxr(path)
    assert nothing_changed()


def test_xml_in_the_wrong_namespace_is_refused(archive, tmp_path, import_wxr):
    content = archive.read_text(encoding="utf-8").replace(
        "http://wordpress.org/export/1.2/", "http://example.org/not-wordpress/"
    )
    with pytest.raises(CommandError, match="not a WordPress export"):
        import_wxr(write(tmp_path, content))
    assert nothing_changed()


def test_xml_that_is_not_rss_is_refused(tmp_path, import_wxr):
    path = write(tmp_path, '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>')
    with pytest.raises(CommandError, match="root element is <feed>"):
        import_wxr(path)


def test_an_entity_expansion_attack_is_refused(tmp_path, import_wxr):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        + WXR_HEAD.split("?>\n", 1)[1]
        + "<item><title>&lol9;</title><wp:post_id>1</wp:post_id></item></channel></rss>"
    )
    with pytest.raises(CommandError, match="DOCTYPE"):
        import_wxr(write(tmp_path, content))
    assert nothing_changed()


def test_an_external_dtd_or_entity_is_never_fetched(tmp_path, import_wxr):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/wxr.dtd" '
        f'[<!ENTITY leak SYSTEM "file://{secret}">]>'
        + WXR_HEAD.split("?>\n", 1)[1]
        + "<item><title>&leak;</title></item></channel></rss>"
    )
    with pytest.raises(CommandError, match="DOCTYPE") as error:
        import_wxr(write(tmp_path, content))
    assert "do not read me" not in str(error.value)
    assert nothing_changed()


def test_a_missing_file_is_a_clear_error(tmp_path, import_wxr):
    with pytest.raises(CommandError, match="does not exist"):
        import_wxr(tmp_path / "nope.xml")


def test_an_unknown_default_series_is_a_clear_error(archive, import_wxr):
    with pytest.raises(CommandError, match="No series with the slug “nope”"):
        import_wxr(archive, "--default-series", "nope")
    assert nothing_changed()


def test_a_broken_rules_file_is_a_clear_error(archive, tmp_path, import_wxr):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[series]]\nslug = "pacnet"\nname = "PacNet"\ntitle_patterns = ["(unclosed"]\n'
    )
    with pytest.raises(CommandError, match="invalid regular expression"):
        import_wxr(archive, "--series-rules", str(rules))
    rules.write_text("post_types = [")
    with pytest.raises(CommandError, match="not valid TOML"):
        import_wxr(archive, "--series-rules", str(rules))
    assert nothing_changed()
