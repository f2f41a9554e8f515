"""Runbooks are Markdown written by engineers; render them without letting HTML or script through."""

import xml.etree.ElementTree as etree
from urllib.parse import urlsplit

import markdown
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _SafeLinks(Treeprocessor):
    """Drop link and image targets with schemes such as javascript: or data:."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is None:
                    continue
                scheme = urlsplit("".join(value.split())).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    del element.attrib[attribute]
            if element.tag == "a" and element.get("href"):
                element.set("rel", "noopener noreferrer nofollow")


class _NoRawHtml(Extension):
    """Raw HTML in the source is shown as text, not passed through."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


def render_runbook(source: str) -> SafeString:
    html = markdown.markdown(source or "", extensions=[_NoRawHtml(), "sane_lists", "fenced_code", "tables"])
    return mark_safe(html)  # noqa: S308 — raw HTML is escaped and unsafe link schemes removed above
