"""An XML parser that cannot be turned against the scanner.

XML playlists come from anywhere, so their parser must not fetch external entities
(a file or URL named by ``<!ENTITY x SYSTEM "...">``) nor expand entity bombs
("billion laughs", quadratic blow-up). ``defusedxml`` is the usual answer, but it is
not installed here and the standard library's expat suffices when used this way:

* **No entity declarations at all.** Every entity attack starts with a declaration in
  the document type definition, and no XSPF or plist needs one, so the first
  ``<!ENTITY`` aborts the parse (:class:`UnsafeXMLError`). ``plistlib`` applies the same
  rule to plists by itself. The five predefined entities (``&amp;`` ...) and character
  references still work.
* **Nothing external is ever loaded.** pyexpat only reads external entities or DTDs
  through an ``ExternalEntityRefHandler``, and none is installed; parameter entity
  parsing is switched off as well.
* Expat 2.4.1 and later (Python 3.11 ships 2.5) also refuse amplification attacks on
  their own, a second line of defence.
"""

from __future__ import annotations

from xml.parsers import expat

NAMESPACE_SEPARATOR = " "
"""Element names come as ``"namespace-uri local-name"``; see :func:`local_name`."""


class UnsafeXMLError(ValueError):
    """The document declares entities, which no playlist needs and attacks rely on."""


def _refuse_entity(name: str, *_args: object) -> None:
    raise UnsafeXMLError(f"the XML declares an entity ({name}); refused for safety")


def safe_parser() -> expat.XMLParserType:
    """A namespace-aware expat parser that refuses entity declarations and external loads."""
    parser = expat.ParserCreate(namespace_separator=NAMESPACE_SEPARATOR)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.buffer_text = True
    return parser


def local_name(name: str) -> str:
    """An element name without its namespace: ``"http://xspf.org/ns/0/ track"`` -> ``track``."""
    return name.rpartition(NAMESPACE_SEPARATOR)[2]


__all__ = ["UnsafeXMLError", "local_name", "safe_parser"]
