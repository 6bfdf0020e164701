"""Names of administrative divisions: short names, kinds (街道/镇, 社区/村) and English names in pinyin.

The statistical division list names a community by its committee (``同新社区居委会``, ``田洋村委会``);
people and maps say ``同新社区`` and ``田洋村``. English names follow the usual official pattern: the pinyin
of the proper name, syllables run together, then the kind (``Datong Subdistrict``, ``Wuxian Town``,
``Tongxin Community``, ``Tianyang Village``).

>>> short_community_name("田洋村委会"), short_community_name("后埔村村委会"), short_community_name("同新社区居委会")
('田洋村', '后埔村', '同新社区')
>>> english_name("大同街道", "街道"), english_name("五显镇", "镇"), english_name("西安社区", "社区")
('Datong Subdistrict', 'Wuxian Town', "Xi'an Community")
>>> english_name("顶村", "村"), english_name("后埔村", "村"), english_name("甲镇", "镇")
('Dingcun Village', 'Houpu Village', 'Jia Town')
"""

from __future__ import annotations

TOWNSHIP_KINDS = ("街道", "镇")
COMMUNITY_KINDS = ("社区", "村")

_COMMITTEE_SUFFIXES = (("居民委员会", "社区"), ("村民委员会", "村"), ("居委会", "社区"), ("村委会", "村"))
_KIND_EN = {"街道": "Subdistrict", "镇": "Town", "乡": "Township", "社区": "Community", "村": "Village"}


def short_community_name(official_name: str) -> str:
    """The everyday name of a community: the committee suffix dropped, ``社区``/``村`` kept."""
    name = official_name.strip()
    for suffix, kind in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(kind) else base + kind
    return name


def township_kind(name: str) -> str | None:
    """``街道`` or ``镇`` from the name's ending (a 乡 counts as a 镇); None when the name does not tell."""
    if name.endswith("街道"):
        return "街道"
    if name.endswith(("镇", "乡")):
        return "镇"
    return None


def community_kind(name: str, code: str | None = None) -> str:
    """``社区`` or ``村`` from the name's ending, else from the statistical code.

    Notes
    -----
    In the National Bureau of Statistics scheme the last three digits of a 12-digit code number residents'
    committees (社区) from 001 and villagers' committees (村) from 200.
    """
    if name.endswith(("村", "村委会", "村民委员会")):
        return "村"
    if name.endswith(("社区", "居委会", "居民委员会")):
        return "社区"
    if code is not None and len(code) == 12 and code.isdigit():
        return "村" if int(code[-3:]) >= 200 else "社区"
    return "社区"


def pinyin(text: str) -> str:
    """Capitalised pinyin without tones, syllables joined, apostrophe before a/e/o syllables (``Xi'an``)."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(text, v_to_u=True) if s.strip()]
    out = ""
    for i, syllable in enumerate(syllables):
        if i and syllable[0] in "aeo" and out[-1].isalpha():
            out += "'"
        out += syllable
    return out[:1].upper() + out[1:]


def english_name(name: str, kind: str) -> str:
    """English name of a township or community: pinyin of the proper name plus the kind in English."""
    base = name
    for suffix, keep in (("街道", 1), ("镇", 1), ("乡", 1), ("社区", 2), ("村", 2)):
        # a village keeps a 村 that is part of its proper name (顶村 → Dingcun Village)
        if base.endswith(suffix) and len(base) - len(suffix) >= keep:
            base = base[: -len(suffix)]
            break
    return f"{pinyin(base)} {_KIND_EN.get(kind, kind)}"
