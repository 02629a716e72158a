"""Printing new pupils before their records exist: each entry as an unsaved Pupil (with its
guardians) that xueji.documents.rosters prints like any record, its number shown as 待建籍 until the
bureau approves."""

from datetime import date
from decimal import Decimal

from xueji.accounts.models import Division
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.services import GUARDIAN_DATA_FIELDS, PUPIL_DATA_FIELDS

DIVISION_FIELDS = ("birthplace_id", "native_place_id", "hukou_division_id")


def entries_for_print(entries) -> list[Pupil]:
    """The entries (in order) as printable pupils; an established entry prints its record."""
    entries = list(entries)
    codes = {e.data.get(f) for e in entries for f in DIVISION_FIELDS} | {
        g.get("hukou_division_id") for e in entries for g in e.guardians
    }
    divisions = Division.objects.in_bulk([c for c in codes if c], field_name="code")
    printable = []
    for entry in entries:
        values = {k: v for k, v in entry.data.items() if k in PUPIL_DATA_FIELDS and k not in DIVISION_FIELDS}
        # The identity from the entry's columns (what dedupe and the lists use).
        values.update(name=entry.name, gender=entry.gender, birth_date=entry.birth_date, id_type=entry.id_type,
                      id_number=entry.id_number)
        pupil = Pupil(**values, school_id=entry.school_id, school_class=entry.school_class, grade=entry.grade,
                      student_number=entry.pupil.student_number if entry.pupil_id else "")
        # An entry keeps the distance as text ("2.5", JSON has no decimals); the yes/no items
        # as true, false or null (not yet known), as the record does.
        if values.get("distance_km") not in (None, ""):
            pupil.distance_km = Decimal(str(values["distance_km"]))
        if entry.data.get("entry_date"):
            pupil.entry_date = date.fromisoformat(entry.data["entry_date"])
        for field in DIVISION_FIELDS:
            setattr(pupil, field.removesuffix("_id"), divisions.get(entry.data.get(field)))
        pupil.guardians_list = [
            Guardian(position=g.get("position", i + 1), **{k: v for k, v in g.items() if k in GUARDIAN_DATA_FIELDS and k != "hukou_division_id"},
                     hukou_division=divisions.get(g.get("hukou_division_id")))
            for i, g in enumerate(entry.guardians)
        ]
        printable.append(pupil)
    return printable
