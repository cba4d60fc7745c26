"""Markdown to HTML that is safe to show: Markdown first, then bleach (already the project's sanitizer)
keeps only the tags and attributes a text page needs. Links may be web, mail or phone links (the
call-centre number); anything else (javascript:, data:) is dropped."""

from __future__ import annotations

import bleach
import markdown

TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code", "pre",
                  "table", "thead", "tbody", "tr", "th", "td", "hr"})
ATTRIBUTES = {"a": ["href", "title"]}
PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})


def to_html(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=True,
                        strip_comments=True)
