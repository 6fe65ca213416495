"""Read WordPress eXtended RSS exports (WXR 1.0, 1.1, 1.2) as a stream.

An archive is one or more files as WordPress users have them: plain `.xml`,
`.xml.gz`, or a `.zip` of several XML files (WordPress.com), read in the order
given (a zip's members in name order) as one export.

Each file is parsed with `lxml.etree.iterparse` and every `<item>` is dropped
from the tree as soon as it has been read, so memory stays flat whatever the
size of the export. Entities are never expanded, no DTD is loaded and nothing
is fetched from the network; a document with a DOCTYPE is refused outright
(WordPress never writes one, and it is where entity-expansion and external
entity attacks live).

Characters XML forbids (0x00–0x1F except tab and line breaks, U+FFFE, U+FFFF,
and references to them such as `&#11;`) are common after pastes from Word;
WordPress exports them as they are and its own importer recovers. They are
filtered out of the byte stream before the parser sees them: each becomes a
private-use marker, and the item reader strips the markers from the field they
landed in and records which (post id, field, character), so nothing is lost
without a word.
"""

import gzip
import hashlib
import io
import re
import zipfile
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
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/(?P<version>[^/]+)/$")
READABLE_VERSIONS = ("1.0", "1.1", "1.2")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/[^/]+/excerpt/$")
# WordPress ids are MySQL BIGINT UNSIGNED; ours are PostgreSQL bigint.
MAX_POST_ID = 2**63 - 1

# Post meta the importer reads; everything else (edit locks, serialized
# attachment sizes, page-builder state) is dropped while streaming.
META_KEYS = frozenset(
    {
        "_thumbnail_id",
        "_wp_attached_file",
        "_wp_attachment_image_alt",
        "_yoast_wpseo_metadesc",
        "rank_math_description",
        "_aioseo_description",
        "_aioseop_description",
    }
)
META_PREFIXES = ("cap-",)  # Co-Authors Plus guest authors
PDF_META = re.compile(r"^(?!_).*pdf", re.IGNORECASE)

# Bytes and references XML 1.0 forbids, and how each is marked in the stream.
MARK_BASE = 0xF0000
CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
INVALID_BYTES = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"
    rb"|&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45]));"
)
INVALID_REFERENCE = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45]));"
)
PARTIAL_REFERENCE = re.compile(rb"&(?:#[xX]?[0-9a-fA-F]{0,8})?$")
MARKS = re.compile(f"[{chr(MARK_BASE)}-{chr(MARK_BASE + 0xFF)}]")
# What a document starts with once the XML declaration and comments are
# skipped: a saved web page starts with its doctype or <html>.
PROLOGUE = re.compile(rb"(?:\s+|<\?xml[^>]*\?>|<!--.*?-->)*", re.DOTALL)
HTML_PAGE = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)


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
class WxrAuthorTerm:
    """A term of the `author` taxonomy declared at the top of the export, with
    its term meta: how PublishPress Authors stores a byline's name and email."""

    slug: str
    name: str
    description: str = ""
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WxrTerm:
    domain: str
    nicename: str
    name: str


@dataclass(frozen=True)
class Cleaned:
    """A character XML forbids, taken out of a field."""

    field: str
    character: str

    def __str__(self):
        return f"{self.character} in {self.field}"


@dataclass
class WxrItem:
    line: int
    source: str = ""
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    post_id: int | None = None
    post_id_text: str = ""
    post_parent: int | None = None
    post_date: datetime | None = None
    post_date_text: str = ""
    post_date_gmt: datetime | None = None
    post_name: str = ""
    status: str = ""
    post_type: str = ""
    password: str = ""
    attachment_url: str = ""
    terms: list[WxrTerm] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    comments: int = 0
    cleaned: list[Cleaned] = field(default_factory=list)

    def __str__(self):
        key = f"post {self.post_id}" if self.post_id is not None else self.guid or "post"
        return f"{key} “{self.title}”" if self.title else key

    @property
    def key(self):
        """What identifies the post from one import to the next."""
        return self.post_id if self.post_id is not None else self.guid

    def fingerprint_fields(self):
        return [
            self.title,
            self.link,
            self.guid,
            self.creator,
            self.content,
            self.excerpt,
            self.post_id,
            self.post_parent,
            self.post_date.isoformat() if self.post_date else self.post_date_text,
            self.post_date_gmt.isoformat() if self.post_date_gmt else "",
            self.post_name,
            self.status,
            self.post_type,
            bool(self.password),
            [(t.domain, t.nicename, t.name) for t in self.terms],
            sorted(self.meta.items()),
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


# -- the files ---------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One XML document of the archive: a file, a gzipped file or a zip member."""

    path: Path
    member: str = ""

    def __str__(self):
        return f"{self.path}:{self.member}" if self.member else str(self.path)

    def open(self):
        if self.member:
            archive = zipfile.ZipFile(self.path)
            handle = archive.open(self.member)
            handle.close_archive = archive.close
            return handle
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by the reader
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            return gzip.GzipFile(fileobj=raw, mode="rb")
        raw.seek(0)
        return raw


def sources(paths) -> list[Source]:
    """The XML documents the given files hold, in order."""
    found = []
    for path in map(Path, paths):
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise WxrError(f"cannot read {path}: {exc}") from exc
        if magic == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(path) as archive:
                    members = sorted(
                        info.filename
                        for info in archive.infolist()
                        if not info.is_dir()
                        and info.filename.lower().endswith(".xml")
                        and not info.filename.startswith("__MACOSX/")
                    )
            except zipfile.BadZipFile as exc:
                raise WxrError(f"{path} is not a readable zip file: {exc}.") from exc
            if not members:
                raise WxrError(f"{path} is a zip file without any .xml export in it.")
            found.extend(Source(path, member) for member in members)
        else:
            found.append(Source(path))
    return found


@dataclass(frozen=True)
class FileState:
    """Size and modification time of the files: cheap to check before each batch."""

    stats: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, paths):
        stats = []
        for path in paths:
            st = Path(path).stat()
            stats.append((str(path), st.st_size, st.st_mtime_ns))
        return cls(tuple(stats))


def file_digest(paths) -> str:
    """SHA-256 over the files' bytes, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


class FilteredStream(io.RawIOBase):
    """A byte stream with the characters XML forbids replaced by markers."""

    def __init__(self, raw, utf8=True):
        self.raw = raw
        self.utf8 = utf8
        self.carry = b""

    def readable(self):
        return True

    def _mark(self, match):
        found = match[0]
        if found.startswith(b"&#"):
            text = found[2:-1]
            code = int(text[1:], 16) if text[:1] in b"xX" else int(text)
        elif len(found) == 3:
            code = 0xFFFE if found == b"\xef\xbf\xbe" else 0xFFFF
        else:
            code = found[0]
        return chr(MARK_BASE + (code & 0xFF)).encode() if self.utf8 else b""

    def read(self, size=-1):
        chunk = self.raw.read(size if size and size > 0 else 1 << 16)
        data = self.carry + chunk
        self.carry = b""
        if chunk:
            # Keep an unfinished “&#…” or a split U+FFFE/U+FFFF for the next read.
            tail = PARTIAL_REFERENCE.search(data[-12:])
            if tail:
                cut = len(data) - 12 + tail.start() if len(data) > 12 else tail.start()
                data, self.carry = data[:cut], data[cut:]
            elif data.endswith((b"\xef", b"\xef\xbf")):
                cut = data.rfind(b"\xef")
                data, self.carry = data[:cut], data[cut:]
            if not data:
                return self.read(size)
        # Cheap tests first (a C scan each); the regular expression runs only
        # on a chunk that holds something to replace.
        if (
            len(data.translate(None, CONTROL_BYTES)) != len(data)
            or b"\xef\xbf\xbe" in data
            or b"\xef\xbf\xbf" in data
            or (b"&#" in data and INVALID_REFERENCE.search(data))
        ):
            data = INVALID_BYTES.sub(self._mark, data)
        return data

    def close(self):
        self.raw.close()
        if close_archive := getattr(self.raw, "close_archive", None):
            close_archive()
        super().close()


def _character_name(mark):
    code = ord(mark) - MARK_BASE
    return "U+FFFE" if code == 0xFE else "U+FFFF" if code == 0xFF else f"0x{code:02X}"


def strip_marks(text, where, cleaned):
    """Take the markers out of a field's text, noting each character."""
    if not text or not MARKS.search(text):
        return text
    for mark in MARKS.findall(text):
        entry = Cleaned(where, _character_name(mark))
        if entry not in cleaned:
            cleaned.append(entry)
    return MARKS.sub("", text)


# -- the XML -----------------------------------------------------------------


def _local(tag):
    return tag.rpartition("}")[2]


def _namespace(tag):
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _check_head(head, source):
    text = head.removeprefix(b"\xef\xbb\xbf")
    if HTML_PAGE.match(text, PROLOGUE.match(text).end()):
        raise WxrError(
            f"{source} is an HTML page, not a WordPress export: a browser saved a web page "
            "(often a login or error page) instead of the download. In WordPress, use "
            "Tools › Export › Download Export File and import the .xml file it gives."
        )


def _declared_encoding(head):
    found = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([^\"']+)", head.lstrip(b"\xef\xbb\xbf"))
    return found[1].decode("ascii", "replace").lower() if found else "utf-8"


def _check_root(root, source):
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise WxrError(
            f"{source} declares a DOCTYPE. WordPress exports never do; entity declarations "
            "and external DTDs are refused."
        )
    if root.tag != "rss":
        namespace = _namespace(root.tag)
        where = f" in namespace {namespace}" if namespace else ""
        raise WxrError(
            f"{source} is XML but not a WordPress export: the root element is "
            f"<{_local(root.tag)}>{where}, expected <rss>."
        )
    versions = {
        match["version"]: ns
        for ns in root.nsmap.values()
        if ns and (match := WP_NAMESPACE.match(ns))
    }
    readable = [v for v in READABLE_VERSIONS if v in versions]
    if readable:
        return versions[readable[-1]]
    if versions:
        found = ", ".join(sorted(versions))
        raise WxrError(
            f"{source} is a WordPress export of WXR version {found}, which this importer "
            f"does not know; it reads versions {', '.join(READABLE_VERSIONS)}."
        )
    found = ", ".join(sorted(ns for ns in root.nsmap.values() if ns)) or "none"
    raise WxrError(
        f"{source} is not a WordPress export (WXR 1.0–1.2): the namespace "
        f"http://wordpress.org/export/1.2/ is missing (namespaces found: {found})."
    )


def _text(elem, where=None, cleaned=None):
    text = (elem.text or "").strip()
    return strip_marks(text, where, cleaned) if cleaned is not None else text


def _author(elem):
    cleaned = []
    values = {_local(child.tag): _text(child, "author", cleaned) for child in elem}
    return WxrAuthor(
        login=values.get("author_login", ""),
        email=values.get("author_email", ""),
        display_name=values.get("author_display_name", ""),
        first_name=values.get("author_first_name", ""),
        last_name=values.get("author_last_name", ""),
    )


def _author_term(elem, wp):
    """`<wp:term>` of the `author` taxonomy, or None for any other term."""
    values, meta, cleaned = {}, [], []
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name == "termmeta":
            parts = {_local(c.tag): _text(c, "term meta", cleaned) for c in child}
            if parts.get("meta_key"):
                meta.append((parts["meta_key"], parts.get("meta_value", "")))
        else:
            values[name] = _text(child, "term", cleaned)
    if values.get("term_taxonomy") != "author" or not values.get("term_slug"):
        return None
    return WxrAuthorTerm(
        slug=values["term_slug"],
        name=values.get("term_name", ""),
        description=values.get("term_description", ""),
        meta=tuple(meta),
    )


def _int(text):
    """A whole number in ASCII digits (int() would also read "٣" as 3)."""
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def _item(elem, wp, source):
    item = WxrItem(line=elem.sourceline or 0, source=source)
    cleaned = item.cleaned
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        ns, name = _namespace(tag), _local(tag)
        if ns == "":
            if name == "title":
                item.title = _text(child, "title", cleaned)
            elif name == "link":
                item.link = _text(child, "link", cleaned)
            elif name == "guid":
                item.guid = _text(child, "guid", cleaned)
            elif name == "category":
                item.terms.append(
                    WxrTerm(
                        domain=child.get("domain", ""),
                        nicename=strip_marks(child.get("nicename", ""), "category", cleaned),
                        name=_text(child, "category", cleaned),
                    )
                )
        elif ns == wp:
            if name == "post_id":
                item.post_id_text = _text(child, "post_id", cleaned)
                value = _int(item.post_id_text)
                item.post_id = value if value is not None and 0 < value <= MAX_POST_ID else None
            elif name == "post_parent":
                value = _int(_text(child))
                item.post_parent = value if value and 0 < value <= MAX_POST_ID else None
            elif name == "post_date":
                item.post_date_text = _text(child, "post_date", cleaned)
                item.post_date = parse_wp_date(item.post_date_text)
            elif name == "post_date_gmt":
                item.post_date_gmt = parse_wp_date(_text(child, "post_date_gmt", cleaned))
            elif name == "post_name":
                item.post_name = _text(child, "post_name", cleaned)
            elif name == "status":
                item.status = _text(child, "status", cleaned)
            elif name == "post_type":
                item.post_type = _text(child, "post_type", cleaned)
            elif name == "post_password":
                item.password = _text(child, "post_password", cleaned)
            elif name == "attachment_url":
                item.attachment_url = _text(child, "attachment_url", cleaned)
            elif name == "postmeta":
                key = value = ""
                for part in child:
                    if not isinstance(part.tag, str):
                        continue
                    if _local(part.tag) == "meta_key":
                        key = _text(part)
                    elif _local(part.tag) == "meta_value":
                        value = part.text or ""
                key = strip_marks(key, "meta key", cleaned)
                if key in META_KEYS or key.startswith(META_PREFIXES) or PDF_META.match(key):
                    value = strip_marks(value.strip(), f"meta {key}", cleaned)
                    item.meta.setdefault(key, value)
            elif name == "comment":
                item.comments += 1
        elif ns == CONTENT_NS and name == "encoded":
            item.content = strip_marks(child.text or "", "content", cleaned)
        elif name == "encoded" and EXCERPT_NS.match(ns):
            item.excerpt = strip_marks(child.text or "", "excerpt", cleaned)
        elif ns == DC_NS and name == "creator":
            item.creator = _text(child, "creator", cleaned)
    return item


def _line_count(source):
    lines = 1
    with source.open() as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def _read_one(source) -> Iterator:
    try:
        handle = source.open()
        head = handle.read(4096)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise WxrError(f"cannot read {source}: {exc}") from exc
    if not head.strip():
        handle.close()
        raise WxrError(f"{source} is empty.")
    _check_head(head, source)
    handle.close()
    utf8 = _declared_encoding(head) in ("utf-8", "utf8")
    stream = FilteredStream(source.open(), utf8=utf8)
    context = etree.iterparse(stream, events=("start", "end"), **PARSER_OPTIONS)
    root = wp = None
    depth = 0
    name = str(source)
    try:
        for event, elem in context:
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                    wp = _check_root(root, source)
                continue
            depth -= 1
            if depth != 2:  # only the channel's children: rss > channel > item
                continue
            tag = elem.tag
            if tag == "item":
                yield _item(elem, wp, name)
            elif tag == f"{{{wp}}}author":
                yield _author(elem)
            elif tag == f"{{{wp}}}term":
                term = _author_term(elem, wp)
                if term is not None:
                    yield term
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        reason = re.sub(r",? line \d+, column \d+$", "", (exc.msg or "").splitlines()[0]).strip()
        line, column = exc.position
        truncated = root is not None and line >= _line_count(source)
        raise WxrError(
            f"{source} is not well-formed XML (line {line}, column {column}): {reason}."
            + (" The file looks truncated." if truncated else "")
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise WxrError(f"cannot read {source}: {exc}") from exc
    finally:
        stream.close()
    if root is None:
        raise WxrError(f"{source} holds no XML element.")


def read_wxr(paths) -> Iterator[WxrAuthor | WxrAuthorTerm | WxrItem]:
    """Yield the archive's authors (`wp:author`), author terms and items
    (`<item>`) in file order, file after file.

    Raises WxrError for anything that is not a well-formed WXR file; a
    truncated file fails only when the reader reaches its end, which is why
    the importer reads the whole archive once before it writes anything.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    for path in paths:
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            raise WxrError(f"{path} is empty.")
    for source in sources(paths):
        yield from _read_one(source)
