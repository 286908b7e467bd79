"""Lesson markdown -> HTML: GitHub-style callouts, tables, Pygments-highlighted code, images from the lesson folder."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from html import escape
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

log = logging.getLogger(__name__)

# Maps an image name in the markdown to its URL, or None when the lesson has no such image.
AssetResolver = Callable[[str], str | None]
_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


def _render_fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: EnvType) -> str:
    """Pygments HTML for a fenced block; an unknown or missing language falls back to markdown-it's escaping."""
    token = tokens[idx]
    lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    # tabindex: a code block that scrolls sideways must be reachable by keyboard to be scrolled.
    if lexer is None:
        return str(self.fence(tokens, idx, options, env)).replace("<pre>", '<pre tabindex="0">', 1)
    return str(highlight(token.content, lexer, _FORMATTER)).replace("<pre>", '<pre tabindex="0">', 1)


def _render_table_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                       env: EnvType) -> str:
    # A wide table scrolls inside its own box instead of widening the page on a phone.
    return '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">' + self.renderToken(
        tokens, idx, options, env)


def _render_table_close(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                        env: EnvType) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _render_alert_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                       env: EnvType) -> str:
    kind = str(tokens[idx].meta.get("kind", "note")).lower()
    return f'<aside class="callout callout-{escape(kind)}" role="note">\n'


def _render_alert_close(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                        env: EnvType) -> str:
    return "</aside>\n"


def _render_alert_title_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                             env: EnvType) -> str:
    return '<p class="callout-title">'


def make_markdown() -> MarkdownIt:
    """CommonMark + tables + GitHub alerts; raw HTML off: lesson text never injects markup or scripts."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                   "alerts": True})
    md.enable("table")
    md.enable("strikethrough")
    md.use(anchors_plugin, min_level=2, max_level=3)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    md.add_render_rule("alert_open", _render_alert_open)
    md.add_render_rule("alert_close", _render_alert_close)
    md.add_render_rule("alert_title_open", _render_alert_title_open)
    return md


_MD = make_markdown()


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc or url.startswith("/"))


def _rewrite_images(tokens: list[Token], resolve: AssetResolver, where: str) -> None:
    """Relative image names become the lesson's asset route; an image the lesson lacks is dropped and logged."""
    stack = list(tokens)
    while stack:
        token = stack.pop()
        if token.children:
            stack.extend(token.children)
        if token.type != "image":
            continue
        src = str(token.attrGet("src") or "")
        if _is_external(src):
            continue  # the Content-Security-Policy blocks other origins; nothing to rewrite
        url = resolve(src)
        if url is None:
            log.warning("%s: image %r is not an image file in the lesson folder; showing its alt text", where, src)
            token.type, token.tag, token.children, token.attrs = "text", "", None, {}
            continue
        token.attrSet("src", url)
        token.attrSet("loading", "lazy")


def _strip_leading_title(tokens: list[Token]) -> list[Token]:
    # The page shows the front matter's title as its <h1>; a body that repeats it would show it twice.
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return tokens[3:]
    return tokens


def render_markdown(text: str, resolve: AssetResolver, where: str = "lesson.md") -> str:
    tokens = _MD.parse(text)
    _rewrite_images(tokens, resolve, where)
    tokens = _strip_leading_title(tokens)
    html: str = _MD.renderer.render(tokens, _MD.options, {})
    return html


def render_inline(text: str) -> str:
    """A one-line snippet (an objective, a hint): code spans and emphasis, no paragraphs."""
    return str(_MD.renderInline(text))


def asset_url(slug: str, name: str) -> str:
    return f"/lessons/{quote(slug)}/assets/{quote(name)}"
