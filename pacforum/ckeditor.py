"""The one CKEditor 5 toolbar every rich-text field uses (settings.CKEDITOR_5_CONFIGS).

The sanitiser's allowlist (pacforum/sanitizer.py) keeps exactly what this
toolbar makes; a button added here needs its tags allowed there.
"""

CKEDITOR_TOOLBAR = {
    "toolbar": {
        "items": [
            "heading",
            "|",
            "bold",
            "italic",
            "superscript",
            "link",
            "|",
            "bulletedList",
            "numberedList",
            "blockQuote",
            "insertTable",
            "insertImage",
            "|",
            "removeFormat",
            "undo",
            "redo",
        ],
        "shouldNotGroupWhenFull": True,
    },
    "heading": {
        "options": [
            {"model": "paragraph", "title": "Paragraph", "class": "ck-heading_paragraph"},
            {
                "model": "heading2",
                "view": "h2",
                "title": "Heading",
                "class": "ck-heading_heading2",
            },
            {
                "model": "heading3",
                "view": "h3",
                "title": "Subheading",
                "class": "ck-heading_heading3",
            },
        ]
    },
    "image": {
        "toolbar": [
            "imageTextAlternative",
            "toggleImageCaption",
            "|",
            "imageStyle:block",
            "imageStyle:side",
        ],
    },
    "table": {
        "contentToolbar": ["tableColumn", "tableRow", "mergeTableCells", "toggleTableCaption"]
    },
    "list": {"properties": {"styles": False, "startIndex": True, "reversed": True}},
    "link": {"defaultProtocol": "https://"},
    # Bundled plugins whose output the sanitiser would strip (inline sizes,
    # embeds, checkboxes): better not offered than silently lost.
    "removePlugins": ["ImageResize", "MediaEmbed", "TodoList"],
    # Footnotes pasted from Word arrive as empty markers
    # (<a id="ref-ftn1"><sup class="footnote"></sup></a>) that the editor would
    # drop; keep them so that the server can link them to their notes on save
    # (commentaries/footnotes.py). A configuration, not a custom build.
    "htmlSupport": {
        "allow": [
            {"name": "sup", "classes": ["footnote"]},
            {"name": "a", "attributes": {"id": True}},
        ],
        "allowEmpty": ["sup", "a"],
    },
}
