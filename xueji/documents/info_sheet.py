"""The layout of the printed 学生基本信息表 (student_info_sheet.html): the rows of
xueji.pupils.national_record placed on the page as the national form places them, and each long
value set smaller so that a pupil's sheet stays one A4 page whatever the record holds.

The pupil's items: one table of columns group | label value | label value | label value | photo
(the widths below, in millimetres, are the ones print.css gives: change both together). Each
group's items fill lines of three, in the national order; an address (or the homepage) takes a
line of its own; the photo box stands beside the four lines of 基本信息 and the other groups' last
value takes its column. The group's name stands in the first column, two characters a line.

The family block: one table, a member in three lines: the short items under a header row, then
现住址 on a line of its own, then 户口所在地, 工作单位 and 职务 (label and value in one cell).
"""

from dataclasses import dataclass, field
from math import ceil

from xueji.pupils.national_form import FAMILY_ITEMS, BASIC
from xueji.pupils.national_record import Group, Member, Row

# Millimetres (print.css, ".info-sheet col.*").
GROUP_WIDTH = 8
LABEL_WIDTH, VALUE_WIDTH, PHOTO_WIDTH = 24, 25, 25
SLOTS = 3
# The short items of a family member, under the header, and their columns' widths.
MEMBER_WIDTH = 10
FAMILY_COLUMNS = [("relation", 16), ("name", 20), ("relation_note", 18), ("is_guardian", 13), ("phone", 24),
                  ("id_type", 19), ("id_number", 33), ("ethnicity", 18)]
# The last line of a member: the items and how many of the columns above each spans.
FAMILY_LAST_LINE = [("hukou_division_id", 3), ("workplace", 3), ("job_title", 2)]
FAMILY_ADDRESS = "address"
assert {key for key, _ in FAMILY_COLUMNS} | {FAMILY_ADDRESS} | {key for key, _ in FAMILY_LAST_LINE} == {
    item.key for item in FAMILY_ITEMS}
assert sum(span for _, span in FAMILY_LAST_LINE) == len(FAMILY_COLUMNS)
FAMILY_HEADER = [next(item for item in FAMILY_ITEMS if item.key == key) for key, _ in FAMILY_COLUMNS]
# Text that takes a line of its own on the sheet.
WIDE_KEYS = frozenset({"address", "mailing_address", "home_address", "hukou_address", "homepage"})

# A character's width in millimetres at the sizes of print.css (8 pt, "long" 7 pt, "longer"
# 6.5 pt): a Chinese character is one em; a digit or a Latin letter about half of one.
_EM = {"": 8 * 0.3528, "long": 7 * 0.3528, "longer": 6.5 * 0.3528}
PADDING = 1.6  # a cell's padding, both sides


def _text_width(text: str, size: str) -> float:
    # A little more than the glyphs: a line breaks a character early where it may not end.
    return sum(0.6 if ord(char) < 0x2E80 else 1.08 for char in text) * _EM[size]


def text_size(text: str, width: float) -> str:
    """"" when the text fits two lines of the cell at 8 pt, "long" when it fits three at 7 pt, else
    "longer" (6.5 pt)."""
    room = max(width - PADDING, 1)
    if ceil(_text_width(text, "") / room) <= 2:
        return ""
    if ceil(_text_width(text, "long") / room) <= 3:
        return "long"
    return "longer"


def fitted(text: str, width: float) -> tuple[str, str]:
    """(the text, its size): text that does not fit two lines even at 6.5 pt is cut ("…"), like
    the 学籍卡's long names. A real name, address (about 120 characters in a line of its own),
    workplace or e-mail fits; only a value typed to the field's full length would push the sheet
    onto a second page. The record in the system keeps the whole text."""
    size = text_size(text, width)
    if size != "longer":
        return text, size
    room = max(width - PADDING, 1) * 2 - 3  # two lines; the last keeps room for "…"
    used, kept = 0.0, []
    for char in text:
        used += _text_width(char, "longer")
        if used > room:
            return "".join(kept) + "…", size
        kept.append(char)
    return text, size


@dataclass
class Cell:
    label: str
    value: str
    size: str  # "", "long", "longer" (print.css)
    key: str
    span: int = 1  # the value's columns

    # A label wraps before its last character and the ★ kept together ("17.户口所在" / "地★"),
    # never before a lone ★.
    @property
    def label_head(self) -> str:
        return self.label[:-2] if self.label.endswith("★") else self.label

    @property
    def label_tail(self) -> str:
        return self.label[-2:] if self.label.endswith("★") else ""


@dataclass
class Line:
    cells: list[Cell]
    group: list[str] = field(default_factory=list)  # on a group's first line: its name, two characters a line
    group_lines: int = 0
    photo_lines: int = 0  # on the first line of 基本信息: the photo box's height in lines


def _group_label(name: str) -> list[str]:
    return [name[i:i + 2] for i in range(0, len(name), 2)]


def _line(rows: list[Row], *, beside_photo: bool) -> list[Cell]:
    """A line of up to three items; the last value takes the columns left (and the photo's, but
    beside the photo)."""
    # The columns after the first label: value, label, value, label, value (, photo).
    widths = [VALUE_WIDTH, LABEL_WIDTH] * (SLOTS - 1) + [VALUE_WIDTH] + ([] if beside_photo else [PHOTO_WIDTH])
    cells = []
    for index, row in enumerate(rows):
        start = 2 * index
        span = len(widths) - start if index == len(rows) - 1 else 1
        width = sum(widths[start:start + span])
        cells.append(Cell(row.numbered_label, *fitted(row.value, width), key=row.key, span=span))
    return cells


def pupil_lines(groups: list[Group]) -> list[Line]:
    """The pupil's items as the sheet's lines (the photo item is the photo box)."""
    lines: list[Line] = []
    for group in groups:
        beside_photo = group.name == BASIC
        group_lines: list[list[Row]] = []
        current: list[Row] = []
        for row in group.rows:
            if row.key == "photo":
                continue
            if row.key in WIDE_KEYS:
                if current:
                    group_lines.append(current)
                    current = []
                group_lines.append([row])
                continue
            current.append(row)
            if len(current) == SLOTS:
                group_lines.append(current)
                current = []
        if current:
            group_lines.append(current)
        first = len(lines)
        lines += [Line(_line(rows, beside_photo=beside_photo)) for rows in group_lines]
        lines[first].group = _group_label(group.name)
        lines[first].group_lines = len(group_lines)
        if beside_photo:
            lines[first].photo_lines = len(group_lines)
    return lines


def _column_width(start: int, span: int) -> float:
    return sum(width for _, width in FAMILY_COLUMNS[start:start + span])


def member_lines(members: list[Member | None]) -> list[dict]:
    """Each member (None: empty lines to fill in by hand) as the family table's three lines."""
    shown = []
    for position, member in enumerate(members, start=1):
        rows = {row.key: row for row in member.rows} if member else {}

        def cell(key: str, start: int, span: int, inline: bool = False) -> Cell:
            row = rows.get(key)
            item = next(item for item in FAMILY_ITEMS if item.key == key)
            label = item.label + ("★" if item.required else "")
            value = row.value if row else ""
            width = _column_width(start, span) - (_text_width(label + "：", "") if inline else 0)
            return Cell(label, *fitted(value, width), key=key, span=span)

        first = [cell(key, index, 1) for index, (key, _) in enumerate(FAMILY_COLUMNS)]
        address = cell(FAMILY_ADDRESS, 0, len(FAMILY_COLUMNS), inline=True)
        last, start = [], 0
        for key, span in FAMILY_LAST_LINE:
            last.append(cell(key, start, span, inline=True))
            start += span
        shown.append({"title": f"成员{position}", "first": first, "address": address, "last": last})
    return shown
