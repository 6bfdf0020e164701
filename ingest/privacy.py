"""Masking a reporter's name and phone number for everyone who does not need them.

Reporter names and phone numbers are personal data (个人信息): they are stored whole, because the team
that handles a case may have to call back, and shown masked everywhere else — the way Chinese government
platforms print them: the surname and the first three and last four digits.

>>> mask_name("张三丰"), mask_name("欧阳娜娜"), mask_name("李")
('张**', '欧***', '*')
>>> mask_phone("13812345678"), mask_phone("0592-7123456")
('138****5678', '0592-***3456')
>>> mask_text("请联系13812345678或0592-7123456")
'请联系138****5678或0592-***3456'
"""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ANONYMOUS = {"匿名", "无", "未留", "未留名", "未提供", "不详", "未知", "保密", "市民", "群众", "-", "--", "/", "无名"}


def reporter_name(text: str | None) -> str | None:
    """The name as given, trimmed; None when the channel says 'anonymous' (匿名, 未留名, 市民 …)."""
    if text is None:
        return None
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    return None if not name or name in _ANONYMOUS else name


def reporter_phone(text: str | None) -> str | None:
    """The number as dialled: spaces and the +86 prefix of a mobile removed; None when blank or 'none'."""
    if text is None:
        return None
    phone = unicodedata.normalize("NFKC", text).strip()
    if not phone or phone in _ANONYMOUS:
        return None
    compact = re.sub(r"[\s()（）]", "", phone)
    mobile = re.fullmatch(r"(?:\+?86|0086)?-?(1[3-9]\d{9})", compact.replace("-", ""))
    if mobile:
        return mobile.group(1)
    return compact


def is_plausible_phone(phone: str) -> bool:
    """A mainland mobile, a landline with area code (0592-…), a short service number, or an extension."""
    return bool(re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,8}", phone))


def mask_name(name: str | None) -> str | None:
    """The first character kept, every other character a ``*``."""
    if not name:
        return name
    return "*" if len(name) == 1 else name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """The first three and last four digits kept; separators kept; short numbers show only the last two."""
    if not phone:
        return phone
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) >= 8:
        keep = set(digits[-4:])
        area = phone.split("-", 1)[0]
        if phone.startswith("0") and "-" in phone and area.isdigit() and len(area) <= 4:
            keep |= set(range(len(area)))  # a landline keeps its whole area code: 0592-***3456
        else:
            keep |= set(digits[:3])
    elif len(digits) >= 3:
        keep = set(digits[-2:])
    else:
        keep = set()
    return "".join(ch if i in keep or not ch.isalnum() else "*" for i, ch in enumerate(phone))


def mask_text(text: str | None, *names: str | None) -> str | None:
    """Free text with phone numbers and the given names masked (a complaint often repeats both)."""
    if not text:
        return text
    for name in sorted((n for n in names if n and len(n) > 1), key=len, reverse=True):
        text = text.replace(name, mask_name(name) or "")
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0)) or "", text)
