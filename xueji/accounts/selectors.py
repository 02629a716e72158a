"""Reads of the accounts package that every other package uses: a bureau's settings (the local
rules) for a unit."""

from collections.abc import Iterable

from xueji.accounts.models import BureauSettings, Unit


def bureau_settings_for(unit: Unit) -> BureauSettings:
    """The settings of the nearest bureau at or above the unit; the regulations' defaults (an
    unsaved BureauSettings) when no bureau above has any."""
    chain = [unit, *unit.ancestors()]
    found = {s.bureau_id: s for s in BureauSettings.objects.filter(bureau_id__in=[u.pk for u in chain])}
    for candidate in chain:
        if candidate.pk in found:
            return found[candidate.pk]
    return BureauSettings()


def bureau_settings_by_unit(units: Iterable[Unit]) -> dict[int, BureauSettings]:
    """bureau_settings_for of many units in one query (the deadline sweep looks at hundreds): a
    unit's chain, itself and then the units above it nearest first, is read from its path."""
    units = list(units)
    chains = {unit.pk: unit.ancestor_ids[::-1] for unit in units}
    ids = {pk for chain in chains.values() for pk in chain}
    found = {settings.bureau_id: settings for settings in BureauSettings.objects.filter(bureau_id__in=ids)}
    defaults = BureauSettings()
    return {pk: next((found[u] for u in chain if u in found), defaults) for pk, chain in chains.items()}
