"""Template helpers for post-mortem pages."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_BARE_URL = re.compile(r'(?<![="\w/])(https?://[^\s<]+[^\s<.,;:!?)\]])')


@register.filter
def inline_markdown(text: str) -> SafeString:
    """The Markdown engineers type in one-line items (lessons, glossary, links): **bold**, [text](url) and
    bare http(s) URLs. Everything is escaped first, so only these three become HTML."""
    html = escape(text or "")
    html = _LINK.sub(r'<a href="\2" rel="noopener noreferrer nofollow">\1</a>', html)
    html = _BARE_URL.sub(r'<a href="\1" rel="noopener noreferrer nofollow">\1</a>', html)
    return mark_safe(_BOLD.sub(r"<strong>\1</strong>", html))  # noqa: S308 — escaped above


@register.filter
def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
