"""Read a WordPress eXtended RSS (WXR 1.1 / 1.2) export as a stream.

The file is parsed with `lxml.etree.iterparse` and every `<item>` is dropped
from the tree as soon as it has been read, so memory stays flat whatever the
size of the export. Entities are never expanded, no DTD is loaded and nothing
is fetched from the network; a document with a DOCTYPE is refused outright
(WordPress never writes one, and it is where entity-expansion and external
entity attacks live).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    # Post bodies can be single text nodes of several megabytes.
    "huge_tree": True,
}
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.[12]/$")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.[12]/excerpt/$")


class WxrError(Exception):
    """The file cannot be read as a WordPress export."""


@dataclass(frozen=True)
class WxrAuthor:
    login: str
    email: str = ""
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""

    @property
    def name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        return self.display_name or full or self.login


@dataclass(frozen=True)
class WxrTerm:
    domain: str
    nicename: str
    name: str


@dataclass
class WxrItem:
    line: int
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    post_id: int | None = None
    post_date: datetime | None = None
    post_date_gmt: datetime | None = None
    post_name: str = ""
    status: str = ""
    post_type: str = ""
    password: str = ""
    terms: list[WxrTerm] = field(default_factory=list)

    def __str__(self):
        key = f"post {self.post_id}" if self.post_id is not None else self.guid or "post"
        return f"{key} “{self.title}”" if self.title else key

    def fingerprint_fields(self):
        return [
            self.title,
            self.link,
            self.guid,
            self.creator,
            self.content,
            self.excerpt,
            self.post_id,
            self.post_date.isoformat() if self.post_date else "",
            self.post_date_gmt.isoformat() if self.post_date_gmt else "",
            self.post_name,
            self.status,
            self.post_type,
            bool(self.password),
            [(t.domain, t.nicename, t.name) for t in self.terms],
        ]


def parse_wp_date(value: str) -> datetime | None:
    """WordPress writes “YYYY-MM-DD HH:MM:SS”, and zeros for “never”."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _text(elem):
    return (elem.text or "").strip()


def _local(tag):
    return tag.rpartition("}")[2]


def _namespace(tag):
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _check_root(root, path):
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise WxrError(
            f"{path} declares a DOCTYPE. WordPress exports never do; entity declarations "
            "and external DTDs are refused."
        )
    if root.tag != "rss":
        namespace = _namespace(root.tag)
        where = f" in namespace {namespace}" if namespace else ""
        raise WxrError(
            f"{path} is XML but not a WordPress export: the root element is "
            f"<{_local(root.tag)}>{where}, expected <rss>."
        )
    wp = [ns for ns in root.nsmap.values() if ns and WP_NAMESPACE.match(ns)]
    if not wp:
        found = ", ".join(sorted(ns for ns in root.nsmap.values() if ns)) or "none"
        raise WxrError(
            f"{path} is not a WordPress export (WXR 1.1 or 1.2): the namespace "
            f"http://wordpress.org/export/1.2/ is missing (namespaces found: {found})."
        )
    return wp[0]


def _author(elem):
    values = {_local(child.tag): _text(child) for child in elem}
    return WxrAuthor(
        login=values.get("author_login", ""),
        email=values.get("author_email", ""),
        display_name=values.get("author_display_name", ""),
        first_name=values.get("author_first_name", ""),
        last_name=values.get("author_last_name", ""),
    )


def _item(elem, wp):
    item = WxrItem(line=elem.sourceline or 0)
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        ns, name = _namespace(tag), _local(tag)
        if ns == "":
            if name == "title":
                item.title = _text(child)
            elif name == "link":
                item.link = _text(child)
            elif name == "guid":
                item.guid = _text(child)
            elif name == "category":
                item.terms.append(
                    WxrTerm(
                        domain=child.get("domain", ""),
                        nicename=child.get("nicename", ""),
                        name=_text(child),
                    )
                )
        elif ns == wp:
            if name == "post_id":
                try:
                    item.post_id = int(_text(child))
                except ValueError:
                    item.post_id = None
            elif name == "post_date":
                item.post_date = parse_wp_date(_text(child))
            elif name == "post_date_gmt":
                item.post_date_gmt = parse_wp_date(_text(child))
            elif name == "post_name":
                item.post_name = _text(child)
            elif name == "status":
                item.status = _text(child)
            elif name == "post_type":
                item.post_type = _text(child)
            elif name == "post_password":
                item.password = _text(child)
        elif ns == CONTENT_NS and name == "encoded":
            item.content = child.text or ""
        elif name == "encoded" and EXCERPT_NS.match(ns):
            item.excerpt = child.text or ""
        elif ns == DC_NS and name == "creator":
            item.creator = _text(child)
    return item


def _at_end(path, line):
    """Did the parser stop on the file's last line (a cut-off download)?"""
    lines = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return line >= lines


def read_wxr(path: str | Path) -> Iterator[WxrAuthor | WxrItem]:
    """Yield the export's authors (`wp:author`) and items (`<item>`) in file order.

    Raises WxrError for anything that is not a well-formed WXR 1.1/1.2 file;
    a truncated file fails only when the reader reaches its end, which is why
    the importer reads the whole file once before it writes anything.
    """
    try:
        if Path(path).stat().st_size == 0:
            raise WxrError(f"{path} is empty.")
        context = etree.iterparse(str(path), events=("start", "end"), **PARSER_OPTIONS)
    except OSError as exc:
        raise WxrError(f"cannot read {path}: {exc}") from exc
    root = wp = None
    depth = 0
    try:
        for event, elem in context:
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                    wp = _check_root(root, path)
                continue
            depth -= 1
            if depth != 2:  # only the channel's children: rss > channel > item
                continue
            tag = elem.tag
            if tag == "item":
                yield _item(elem, wp)
            elif tag == f"{{{wp}}}author":
                yield _author(elem)
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        reason = re.sub(r",? line \d+, column \d+$", "", (exc.msg or "").splitlines()[0]).strip()
        line, column = exc.position
        raise WxrError(
            f"{path} is not well-formed XML (line {line}, column {column}): {reason}."
            + (" The file looks truncated." if root is not None and _at_end(path, line) else "")
        ) from None
    except OSError as exc:
        raise WxrError(f"cannot read {path}: {exc}") from exc
    if root is None:
        raise WxrError(f"{path} holds no XML element.")
