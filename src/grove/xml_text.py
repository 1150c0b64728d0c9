"""Text and attribute values for XML documents (feeds, sitemaps, the favicon's SVG).

XML 1.0 forbids most control characters outright, escaped or not (§2.2 ``Char``): a feed
carrying one is not well-formed and readers drop it whole. Post text can hold any of them
(JSON lets an author send ``\\u0001``), so they are removed here, then the five markup
characters are escaped.
"""

from __future__ import annotations

import re

# Everything outside XML 1.0's Char production: C0 controls but tab, newline and carriage
# return; surrogates (never in a valid str from our JSON reader, kept for safety); U+FFFE/F.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def xml_text(text: str) -> str:
    """``text`` safe as XML character data or a quoted attribute value."""
    return _NOT_XML_CHAR.sub("", text).translate(_ESCAPES)
