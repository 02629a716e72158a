"""Pinyin order for people's names (阿 before 李 before 张, as a Chinese reader looks for them).

Code-point order (U+5F20 张 before U+674E 李) is what the database would give. The database sorts
pupils by a stored key instead, ``Pupil.name_sort`` (``name_sort_key``): a string whose plain
byte order — the column is in the "C" collation — is pinyin order. It is computed with the other
keys derived from the name (``name_fields``: the displayed pinyin and the search keys) wherever a
name is cleaned, so every ``order_by("name_sort", ...)`` — the pupil list of the page and the API
(one selector, ``pupil_list``), a class's roster and cards, the exports, the inbox's pupil column
— reads in pinyin order on any PostgreSQL, from an index, whatever its locale or ICU support.

A list sorted in Python (rows already loaded, names copied into other tables) uses
``pinyin_sort_key``, the same order as a tuple. Order: per character its toneless pinyin, then the
tone, then the character itself (homophones keep one place); a surname read its own way (单 shàn,
曾 zēng) sorts under that reading, as the search keys read it; digits and punctuation before the
Chinese characters, Latin letters after.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style
from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
from pypinyin.converter import DefaultConverter

from xueji.identity import SURNAME_READINGS_TONE3, name_pinyin, name_readings

# The character classes, in their order.
_OTHER, _HAN, _LETTER = 0, 1, 2
# Ends a syllable in the stored key: below every character a syllable holds (letters, or the one
# character of a digit or symbol; names hold no control characters), so "li" sorts before "lian"
# in the key as in the tuple, and the syllable boundary compares right (李安 li-an before 连 lian).
_END_OF_SYLLABLE = " "
# The longest key: 50 characters (check_pupil_name) × (class, syllable of up to 6, end, tone, char).
NAME_SORT_MAX_LENGTH = 500


@lru_cache(maxsize=8192)
def pinyin_sort_key(name: str) -> tuple:
    """A Python sort key in pinyin order: per character (class, toneless syllable, tone,
    character). A name that begins another (李 and 李安) sorts first."""
    name = name or ""
    syllables = [_numbered(reading) if reading else "" for reading in name_readings(name)]
    if name and syllables and name[0] in SURNAME_READINGS_TONE3:
        syllables[0] = SURNAME_READINGS_TONE3[name[0]]
    key = []
    for char, syllable in zip(name, syllables):
        if not syllable:
            key.append((_LETTER if char.isalpha() else _OTHER, char.lower(), 0, char))
        else:
            tone = int(syllable[-1]) if syllable[-1].isdigit() else 5
            key.append((_HAN, syllable.rstrip("012345"), tone, char))
    return tuple(key)


class _NumberedToneConverter(NeutralToneWith5Mixin, DefaultConverter):
    """pypinyin's own conversion to Style.TONE3 with the neutral tone as 5, as
    lazy_pinyin(style=Style.TONE3, neutral_tone_with_five=True) applies it."""


_NUMBERED_TONES = _NumberedToneConverter()


# lazy_pinyin with Style.TONE3 converts every syllable of every name with a chain of regexes
# (about half the cost of a sort key); a syllable's numbered form depends on the syllable alone
# (checked over every character and phrase of pypinyin's tables: the test of the pinyin order),
# and there are about 1,500 toned syllables: converted once each per process.
@lru_cache(maxsize=4096)
def _numbered(toned: str) -> str:
    """"zhāng" → "zhang1", "le" → "le5", "lǚ" → "lv3"."""
    return _NUMBERED_TONES.convert_style("", toned, Style.TONE3, strict=True)


def name_sort_key(name: str) -> str:
    """``pinyin_sort_key`` as a string that compares (byte by byte, code point by code point) as
    the tuple does: "张三" → "1zhang 1张1san 1三". Class, tone and character are one character
    each; the syllable ends with a character below all of its own."""
    return "".join(f"{kind}{syllable}{_END_OF_SYLLABLE}{tone}{char}"
                   for kind, syllable, tone, char in pinyin_sort_key(name))


def name_fields(name: str) -> dict[str, str]:
    """Every column derived from a pupil's name, computed together wherever a name is cleaned
    (xueji.pupils.rules): the displayed pinyin, the search keys and the sort key."""
    pinyin, search_pinyin, search_initials = name_pinyin(name)
    return {"pinyin": pinyin, "search_pinyin": search_pinyin, "search_initials": search_initials,
            "name_sort": name_sort_key(name)}
