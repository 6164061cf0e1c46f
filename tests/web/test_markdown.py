"""Methodology pages render Markdown with markdown-it-py: tables and emphasis, and never raw HTML."""

from app.web.markdown import methodology_html, render_markdown


def test_raw_html_in_the_source_is_escaped_not_passed_through() -> None:
    html = render_markdown('Hello <script>alert(1)</script> and <a href="javascript:x">x</a>\n')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<a href" not in html


def test_links_with_script_urls_are_not_links() -> None:
    assert 'href="javascript' not in render_markdown("[click](javascript:alert(1))")


def test_tables_lists_emphasis_and_code_render() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n- **one**\n- *two* `x<y`\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<li><strong>one</strong></li>" in html and "<code>x&lt;y</code>" in html


def test_the_methodology_document_renders_once_for_both_pages() -> None:
    html = methodology_html()
    assert html is not None and html.startswith("<h1>How Stillwell counts recovery")
    assert methodology_html() is html
