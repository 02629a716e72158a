"""Pinyin order for people's names (张 after 李 after 阿, as a Chinese reader looks for them).

Names are stored in plain text (only the ID number, addresses and the like are encrypted, see
xueji.encrypted_fields), so the database sorts them itself: the pupil's name column carries the
ICU collation ``zh-x-icu`` (pinyin order, then tone, then stroke), and every ``order_by("name")``
— the pupil list of the page and the API, a class's roster, the exports — reads in that order,
from the list's index (built in the same collation). A list sorted in Python (rows already
loaded, or names from several tables) uses ``pinyin_sort_key``, which follows the same rule with
pypinyin. Code-point order (U+5F20 张 before U+674E 李) is what either replaces.
"""

from __future__ import annotations

from functools import lru_cache

from django.db.models import F
from django.db.models.functions import Collate
from pypinyin import Style, lazy_pinyin

# Provided by PostgreSQL built with ICU (Debian's packages and the postgres images are).
PINYIN_COLLATION = "zh-x-icu"


def pinyin_ordered(field: str):
    """An order_by term that sorts the text column ``field`` in pinyin order, for columns that do
    not carry the collation themselves (a name copied into another table)."""
    return Collate(F(field), PINYIN_COLLATION)


@lru_cache(maxsize=4096)
def pinyin_sort_key(name: str) -> tuple:
    """A Python sort key in pinyin order: per character its toneless pinyin, its tone, then the
    character itself (homophones keep one place). Characters without a reading sort by themselves:
    digits and punctuation before the Chinese ones, Latin letters after, as ICU puts them."""
    name = name or ""
    syllables = lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True,
                            errors=lambda chars: [""] * len(chars))
    key = []
    for char, syllable in zip(name, syllables):
        if not syllable:
            # ICU's zh order: digits and punctuation, then Han, then other scripts (Latin).
            key.append((2 if char.isalpha() else 0, char.lower(), 0, char))
        else:
            tone = int(syllable[-1]) if syllable[-1].isdigit() else 5
            key.append((1, syllable.rstrip("012345"), tone, char))
    return tuple(key)
