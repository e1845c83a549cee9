"""Redaction: take the credentials in use out of text that came from a server.

The service may echo the request in an answer: ``SignatureDoesNotMatch`` carries the string it
signed, which holds every signed parameter (V1: AccessKeyId and SecurityToken percent-encoded
once in the request and twice in the string to sign; V3: the token raw in the canonical
headers). A hostile or broken endpoint may echo more, in any encoding. So every text the
client takes from an answer goes through :meth:`Redactor.text` before it reaches an exception,
a record, a report, a widget or a terminal:

* the AccessKeySecret and the STS SecurityToken become ``[redacted AccessKeySecret]`` and
  ``[redacted SecurityToken]``; the AccessKeyId becomes its masked form (``LTAI****abcd``);
* each character of a value is found in any of its spellings, mixed freely: raw,
  percent-encoded once, twice or three times (upper- or lower-case hex, ``+`` for a space),
  as a JSON escape (``\\u002F``, ``\\/``), as an XML/HTML character reference (``&#47;``,
  ``&#x2f;``, ``&amp;``, or escaped again: ``&amp;#47;``); and the value as base64 (standard
  or URL-safe, at any alignment inside a longer base64 text).

A secret or token cut short by the server (a long message truncated) is recognised by its first
16 characters, and the run of base64/percent-escape characters that follows them is redacted
with it. Over-redaction is accepted: a short secret may also hide innocent text. A value cut
to fewer than 16 characters, or echoed from its middle, is not recognised; redact before
cutting text yourself.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

__all__ = ["KEY_ID_MASK", "Redact", "Redactor", "mask_key_id", "value_pattern"]

KEY_ID_MASK = "****"
SECRET_LABEL = "[redacted AccessKeySecret]"  # noqa: S105 - a label, not a password
TOKEN_LABEL = "[redacted SecurityToken]"  # noqa: S105
_MIN_BASE64 = 8  # shorter base64 fragments would hide innocent text
_PREFIX = 16  # a cut value is recognised by this many characters
_RUN = r"[A-Za-z0-9+/=%_.~\\-]*"  # what may follow them: base64, percent and JSON escapes
_NAMED_ENTITIES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}
_JSON_SHORT = {"/": r"\/", '"': r"\"", "\\": r"\\"}


def mask_key_id(key_id: str | None) -> str:
    """A 20-character id (``LTAI`` + 16 characters ending in ``1234``) shows as ``LTAI****1234``."""
    if not key_id:
        return ""
    if len(key_id) <= 8:
        return key_id[:2] + KEY_ID_MASK
    return f"{key_id[:4]}{KEY_ID_MASK}{key_id[-4:]}"


def _hex_digit(digit: str) -> str:
    return digit if digit.isdigit() else f"[{digit.upper()}{digit.lower()}]"


def _hex(number: int, width: int) -> str:
    """``number`` in hex, either case, as a regex: 0x2F -> ``2[Ff]``."""
    return "".join(_hex_digit(d) for d in f"{number:0{width}X}")


def _char_forms(char: str) -> str:
    """A regex for one character in any of its spellings (see the module docstring)."""
    forms = [re.escape(char)]
    utf8 = char.encode("utf-8")
    for prefix in ("%", "%25", "%2525"):
        forms.append("".join(prefix + _hex(byte, 2) for byte in utf8))
    if char == " ":
        forms += [r"\+", "%2[Bb]"]
    if ord(char) < 0x10000:
        forms.append(r"\\[uU]" + _hex(ord(char), 4))
    else:
        high, low = divmod(ord(char) - 0x10000, 0x400)
        forms.append(r"\\[uU]" + _hex(0xD800 + high, 4) + r"\\[uU]" + _hex(0xDC00 + low, 4))
    if char in _JSON_SHORT:
        forms.append(re.escape(_JSON_SHORT[char]))
    references = [f"#0*{ord(char)};", f"#[xX]0*(?:{_hex(ord(char), 1)});"]
    if char in _NAMED_ENTITIES:
        references.append(f"{_NAMED_ENTITIES[char]};")
    forms += [f"&(?:amp;)?{ref}" for ref in references]  # escaped once, or twice (&amp;#47;)
    return "(?:" + "|".join(forms) + ")"


def _base64_fragments(value: str) -> set[str]:
    """The base64 text of ``value`` at each alignment, cut to the characters it alone decides."""
    data = value.encode("utf-8")
    found = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6
        fragment = encoded[start:end]
        if len(fragment) >= _MIN_BASE64:
            found |= {fragment, fragment.translate(str.maketrans("+/", "-_"))}
    return found


def value_pattern(value: str, *, truncated: bool = False) -> str:
    """A regex finding ``value`` in any of its spellings.

    ``truncated``: also a value cut short by the server (a long message cut at some length):
    its first :data:`_PREFIX` characters, in any spelling, and the run of token characters
    that follows them (over-redaction, tried only where the whole value is not there).
    """
    spelled = "".join(_char_forms(c) for c in value)
    fragments = sorted(_base64_fragments(value), key=len, reverse=True)
    alternatives = [spelled, *map(re.escape, fragments)]
    if truncated and len(value) > _PREFIX:
        alternatives.append("".join(_char_forms(c) for c in value[:_PREFIX]) + _RUN)
    return "|".join(alternatives)


class Redactor:
    """Replaces one set of credential values in text; built once per Credentials (patterns compiled once)."""

    __slots__ = ("_pattern", "_replacements")

    def __init__(self, access_key_id: str | None, access_key_secret: str | None, security_token: str | None):
        # (replacement, value, also when cut short): the key id is masked, not secret, so never cut-matched
        given = [(TOKEN_LABEL, security_token, True), (SECRET_LABEL, access_key_secret, True),
                 (mask_key_id(access_key_id), access_key_id, False)]
        named = sorted(((label, value, cut) for label, value, cut in given if value), key=lambda entry: -len(entry[1]))
        self._replacements = {f"v{i}": label for i, (label, _, _) in enumerate(named)}
        alternatives = [f"(?P<v{i}>{value_pattern(value, truncated=cut)})" for i, (_, value, cut) in enumerate(named)]
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def text(self, text: str) -> str:
        """``text`` with every credential value replaced (see the module docstring)."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(self._replace, text)

    __call__ = text

    def __repr__(self) -> str:  # the compiled pattern spells the secret: never show it
        return f"Redactor({len(self._replacements)} values)"

    def __reduce__(self):
        raise TypeError("a Redactor cannot be pickled: its patterns spell the secret.")

    def _replace(self, match: re.Match) -> str:
        return self._replacements[match.lastgroup or ""]


#: What the parsers take: a function from text to redacted text.
Redact = Callable[[str], str]
