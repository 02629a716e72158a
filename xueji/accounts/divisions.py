"""GB/T 2260 administrative divisions, read from python-stdnum.

python-stdnum validates Chinese ID numbers against its ``cn/loc`` table: every province, city and
county code since 1980, with the years each name was in use, maintained with the library (its
source is the code lists published by the National Bureau of Statistics, as collected on
Wikipedia's 中华人民共和国行政区划代码 pages). Using the same table for our divisions means an
area code that passes the ID-number check is always a division we know.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum import numdb

_NAME_PERIOD = re.compile(r"^\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.+)$")


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: int  # 1 province, 2 city, 3 county (Division.Level)
    parent_code: str | None
    in_use: bool


def _current_name(names: str) -> tuple[str, bool]:
    """Pick the name in use today from stdnum's "[1983-1994]二道河子区,[1995-]二道区" form.
    Returns (name, in_use); a code whose every name has an end year is no longer in use."""
    latest_name, latest_end = "", -1
    for part in names.split(","):
        match = _NAME_PERIOD.match(part)
        if not match:
            return part, True
        if not match["end"]:
            return match["name"], True
        if int(match["end"]) > latest_end:
            latest_name, latest_end = match["name"], int(match["end"])
    return latest_name, False


def iter_division_rows() -> Iterator[DivisionRow]:
    """Every division of the table, parents before children."""
    table = numdb.get("cn/loc")
    for _, low, high, props, children in table.prefixes:
        province_code = low + "0000"
        yield DivisionRow(province_code, props["province"], 1, None, True)
        cities: set[str] = set()
        rows = []
        for _, child_low, child_high, child_props, _ in children:
            for number in range(int(child_low), int(child_high) + 1):
                suffix = f"{number:0{len(child_low)}d}"
                if suffix == "0000":
                    continue  # the province itself
                name, in_use = _current_name(child_props["county"])
                rows.append((low + suffix, name, in_use))
                if suffix.endswith("00"):
                    cities.add(low + suffix)
        for code, name, in_use in sorted(rows):
            if code in cities:
                yield DivisionRow(code, name, 2, province_code, in_use)
        for code, name, in_use in sorted(rows):
            if code not in cities:
                city_code = code[:4] + "00"
                parent = city_code if city_code in cities else province_code
                yield DivisionRow(code, name, 3, parent, in_use)


def full_name(names: list[str]) -> str:
    """Join a division's names from the province down, leaving out the placeholder 市辖区/县
    and repeated names (北京市北京市 → 北京市)."""
    parts: list[str] = []
    for name in names:
        if name in {"市辖区", "县", "省直辖县级行政区划", "省直辖县级行政单位", "自治区直辖县级行政区划"} or (parts and parts[-1] == name):
            continue
        parts.append(name)
    return "".join(parts)


def load_divisions(division_model) -> int:
    """Insert or update every division; returns how many rows the table holds. Used by a data
    migration (with the historical model) and by tests."""
    by_code: dict[str, DivisionRow] = {}
    objects = []
    for row in iter_division_rows():
        by_code[row.code] = row
        chain = [row.name]
        parent = row.parent_code
        while parent:
            chain.insert(0, by_code[parent].name)
            parent = by_code[parent].parent_code
        objects.append(
            division_model(
                code=row.code,
                name=row.name,
                full_name=full_name(chain),
                level=row.level,
                parent_id=row.parent_code,
                in_use=row.in_use,
            )
        )
    division_model.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "full_name", "level", "parent_id", "in_use"],
        batch_size=1000,
    )
    return division_model.objects.count()
