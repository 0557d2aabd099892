"""International Standard Recording Codes as the verdict rows carry them.

An ISRC is 12 characters: country (2 letters), registrant (3 letters or digits), year
(2 digits) and designation (5 digits), e.g. ``USRC17607839``. Sources write it with
hyphens (``US-RC1-76-07839``), in lower case, or as a URI (``isrc:...``,
``urn:isrc:...``); rows always carry the compact upper-case form, so a script can join
rows from different platforms on it.
"""

from __future__ import annotations

import re

_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
_SEPARATORS = re.compile(r"[\s\-]")
_PREFIXES = ("URN:ISRC:", "ISRC:")


def normalize_isrc(value: object, *, strict: bool = False) -> str | None:
    """The compact ISRC in ``value``, or None.

    A value that is not a valid ISRC is kept as given (stripped) when it came from a
    field that is meant to be an ISRC (a CSV ``isrc`` column, Spotify's
    ``external_ids.isrc``): the row shows what the source said. With ``strict=True``,
    for fields that may hold any identifier (XSPF ``<identifier>``), it is dropped.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    compact = _SEPARATORS.sub("", value).upper()
    for prefix in _PREFIXES:
        compact = compact.removeprefix(prefix)
    if _ISRC.fullmatch(compact):
        return compact
    return None if strict else value.strip()


__all__ = ["normalize_isrc"]
