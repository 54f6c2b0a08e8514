"""Parsing of RFC 8288 (ex-5988) ``Link`` headers, tolerant of the forms real servers send."""

from __future__ import annotations

import re

# One link: <target> followed by its parameters, up to the next "<" (or the end of the header).
_LINK = re.compile(r"<([^>]*)>([^<]*)")
# rel=next, rel="next", rel='next', with a stray quote or comma after it: the value is the run of
# characters that are not quotes, separators or whitespace-delimited junk.
_REL = re.compile(r"""(?i)\brel\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;,"']+))""")


def parse_link_header(value: str) -> dict[str, str]:
    """Map each ``rel`` of a ``Link`` header to its URL (the first one wins).

    Accepts the standard form ``<url>; rel="next"``, single-quoted values (``rel='next'``, as the
    Taplytics documentation shows), unquoted values, several links in one header, several rels in one value
    (``rel="next last"``), and stray trailing quotes.
    """
    links: dict[str, str] = {}
    for match in _LINK.finditer(value):
        target, params = match.group(1).strip(), match.group(2)
        for rel_match in _REL.finditer(params):
            rels = next(g for g in rel_match.groups() if g is not None)
            for rel in rels.lower().split():
                links.setdefault(rel, target)
    return links
