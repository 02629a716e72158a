"""Bar charts drawn by the server as inline SVG: no JavaScript, no chart library, nothing to
download (the intranets are slow and have no CDN). Each chart is one horizontal bar per item with
its label and number; the page shows the same numbers in a table beside it, which is what screen
readers read (the SVG carries a summary for them too).
"""

from django.utils.html import format_html, format_html_join

BAR_COLOR = "#1d4ed8"
LABEL_WIDTH = 160  # px of the 540 wide drawing: about 11 CJK characters at 13 px
WIDTH = 540
ROW = 26
BAR = 16
MAX_LABEL = 11


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(title: str, items: list[tuple[str, int]], *, unit: str = "人", chart_id: str = "chart") -> str:
    """An SVG bar chart of (label, value) items, the longest bar for the largest value. Labels are
    escaped (they are unit and class names); a long one is shortened, in full in its tooltip."""
    items = [(str(label), int(value)) for label, value in items]
    largest = max((value for _label, value in items), default=0)
    room = WIDTH - LABEL_WIDTH - 70  # the number is written after the bar
    height = max(len(items), 1) * ROW + 8
    bars = []
    for index, (label, value) in enumerate(items):
        top = 4 + index * ROW
        baseline = top + ROW / 2 + 4
        length = round(room * value / largest) if largest else 0
        if value and not length:
            length = 1
        bars.append(format_html(
            '<g><text x="{}" y="{}" text-anchor="end" font-size="13" fill="#1f2933">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"><title>{}：{} {}</title></rect>'
            '<text x="{}" y="{}" font-size="13" fill="#1f2933">{}</text></g>',
            LABEL_WIDTH - 8, baseline, _short(label),
            LABEL_WIDTH, top + (ROW - BAR) / 2, length, BAR, BAR_COLOR, label, value, unit,
            LABEL_WIDTH + length + 6, baseline, value,
        ))
    if not bars:
        bars.append(format_html('<text x="{}" y="20" font-size="13" fill="#616e7c">无数据</text>', LABEL_WIDTH))
    summary = "；".join(f"{label} {value} {unit}" for label, value in items) or "无数据"
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH, height, chart_id, chart_id, chart_id, title, chart_id, summary,
        format_html_join("", "{}", ((bar,) for bar in bars)),
    )
