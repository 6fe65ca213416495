"""The sanitiser keeps what the editor's toolbar makes and drops the rest."""

import re
from html.parser import HTMLParser

import pytest

from pacforum.sanitizer import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize_html

# XSS payloads: the OWASP filter-evasion cheat sheet classics and friends.
PAYLOADS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;"
    "&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65"
    "&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=https://xss.example/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<BR SIZE=\"&{alert('XSS')}\">",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    "<STYLE>@import'https://xss.example/xss.css';</STYLE>",
    '<META HTTP-EQUIV="Link" Content="<https://xss.example/xss.css>; REL=stylesheet">',
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" type="image/svg+xml" '
    'AllowScriptAccess="always"></EMBED>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="java&#x0D;script:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '<a href="#" onclick="alert(1)">click</a>',
    '<p onmouseover="alert(1)">text</p>',
    '<blockquote style="behavior:url(xss.htc)">quote</blockquote>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    "<base href=\"javascript:alert('XSS');//\">",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    '<XSS STYLE="behavior: url(xss.htc);">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<p class="x" id="y" data-x="1" aria-hidden="true">attributes</p>',
]

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class ElementCollector(HTMLParser):
    """Every tag and attribute as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def problems(html):
    collector = ElementCollector()
    collector.feed(html)
    found = []
    for tag, attrs in collector.elements:
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs.items():
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()) | {"class"}:
                found.append(f"attribute {name} on <{tag}>")
            squeezed = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in {"href", "src"} and squeezed.startswith(DANGEROUS_SCHEMES):
                found.append(f"{name}={value!r}")
    if re.search(r"<\s*(script|style|iframe)", html, re.IGNORECASE):
        found.append("unescaped script/style/iframe")
    return found


def test_corpus_has_at_least_forty_payloads():
    assert len(PAYLOADS) >= 40


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payload_comes_out_harmless(payload):
    cleaned = sanitize_html(payload)
    assert problems(cleaned) == [], cleaned


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitising_twice_changes_nothing(payload):
    once = sanitize_html(payload)
    assert sanitize_html(once) == once


def test_the_corpus_check_catches_what_it_looks_for():
    assert problems('<a href=" java&#9;script:alert(1)">x</a>') != []
    assert problems("<p onclick='x'>y</p>") == ["attribute onclick on <p>"]
    assert problems("<script>x</script>") != []


def test_unknown_attributes_and_classes_are_dropped():
    cleaned = sanitize_html(
        '<p class="x" id="y" data-x="1">text</p><figure class="evil">f</figure>'
    )
    assert cleaned in {"<p>text</p><figure>f</figure>", '<p>text</p><figure class="">f</figure>'}


# What the CKEditor 5 toolbar produces, as it produces it.
FORMATTED = [
    "<h2>The alliance at seventy</h2><h3>What changed in 2025</h3>",
    "<p>Plain, <strong>bold</strong>, <i>italic</i>, and <strong><i>both</i></strong>.</p>",
    "<p>As the minister said,<sup>1</sup> the treaty stands.<sup>2</sup></p>",
    '<p>Read <a href="https://pacforum.example.org/pacnet/2019/a-title">the original</a> and '
    '<a href="mailto:editor@example.org">write to us</a>; see <a href="#note-1">note 1</a>.</p>',
    "<ul><li>Deterrence</li><li>Diplomacy<ul><li>Track 2</li></ul></li></ul>",
    '<ol start="3" reversed="reversed"><li>Third</li><li>Second</li></ol>',
    "<ol><li><p>First point</p></li><li><p>Second point</p></li></ol>",
    "<blockquote><p>Those who cannot remember the past are condemned to repeat it.</p>"
    "</blockquote>",
    '<figure class="table"><table><thead><tr><th>Year</th><th>Pieces</th></tr></thead>'
    '<tbody><tr><td>2019</td><td>68</td></tr><tr><td colspan="2">Total</td></tr></tbody>'
    "</table><figcaption>PacNet by year</figcaption></figure>",
    '<figure class="image"><img src="/media/editor/2026/11/map.png" alt="A map of the '
    'South China Sea" width="800" height="600"><figcaption>The disputed waters</figcaption>'
    "</figure>",
    '<figure class="image image-style-side"><img src="/media/editor/2026/11/portrait.jpg" '
    'alt="Portrait"></figure>',
    "<p>Quotes “like these” &amp; ampersands, &lt;angle brackets&gt; — and dashes.</p>",
    "<p>Line one<br>line two</p>",
    "<hr>",
]


@pytest.mark.parametrize("html", FORMATTED)
def test_formatted_content_from_the_toolbar_survives_unchanged(html):
    assert sanitize_html(html) == html


def test_a_whole_commentary_survives_unchanged():
    html = "".join(FORMATTED)
    assert sanitize_html(html) == html
