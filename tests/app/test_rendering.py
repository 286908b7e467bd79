"""Lesson markdown -> HTML: callouts, tables, highlighted code, no raw HTML, images only from the lesson."""

from __future__ import annotations

from app.rendering import render_inline, render_markdown


def resolve(name: str) -> str | None:
    return f"/lessons/x/assets/{name}" if name == "fig.png" else None


def test_callouts_of_every_kind() -> None:
    for kind in ("NOTE", "TIP", "WARNING", "IMPORTANT", "CAUTION"):
        html = render_markdown(f"> [!{kind}]\n> Body **text**.\n", resolve)
        assert f'<aside class="callout callout-{kind.lower()}" role="note">' in html
        assert f'<p class="callout-title">{kind.capitalize()}</p>' in html and "<strong>text</strong>" in html
    assert "<blockquote>" in render_markdown("> just a quote\n", resolve)


def test_code_is_highlighted_and_unknown_languages_are_escaped() -> None:
    html = render_markdown("```python\nif a < b:\n    pass\n```\n\n```nolang\n<b>x</b>\n```\n", resolve)
    assert '<div class="highlight"><pre tabindex="0">' in html and '<span class="k">if</span>' in html and "&lt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_raw_html_is_never_passed_through() -> None:
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1))\n',
                           resolve)
    assert "<script>" not in html and "<img" not in html and 'href="javascript:' not in html


def test_images_resolve_to_the_asset_route_or_fall_back_to_alt_text() -> None:
    html = render_markdown("![a figure](fig.png) ![secret](solution.py) ![up](../x.png) ![web](https://e.org/a.png)",
                           resolve)
    assert '<img src="/lessons/x/assets/fig.png" alt="a figure" loading="lazy"' in html
    assert "solution.py" not in html and "secret" in html and "../x.png" not in html
    assert 'src="https://e.org/a.png"' in html  # left as is: the CSP keeps other origins out


def test_leading_title_is_dropped_and_headings_get_ids() -> None:
    html = render_markdown("# Title\n\n## A section\n\ntext\n", resolve)
    assert "<h1" not in html and '<h2 id="a-section">A section</h2>' in html


def test_tables_scroll_in_their_own_box() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n", resolve)
    assert html.startswith('<div class="table-wrap"') and "<td>2</td>" in html


def test_inline() -> None:
    assert render_inline("Use `LSTM(32)` *now*") == "Use <code>LSTM(32)</code> <em>now</em>"
