"""What may be logged: card numbers masked, secrets redacted, bodies capped."""

from __future__ import annotations

import re

from domain.cards import luhn_valid, mask_card_number

MAX_LOGGED_BODY = 4096
_REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization", "x-csrf-token"}
)
_CARDLIKE = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
_SECRET_FIELD = re.compile(
    r'("(?:[^"]*(?:password|secret|token|api_key|apikey|cvv|cvc)[^"]*)"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
# The same secrets in an HTML form post (the back office's sign-in and password forms).
_SECRET_FORM_FIELD = re.compile(
    r"((?:^|&)[^=&]*(?:password|secret|token|csrf)[^=&]*=)[^&]*", re.IGNORECASE
)
_BEARER = re.compile(r"\b(qk_(?:test|live)_)[A-Za-z0-9_\-]+")
# An order's delivery (gift code, virtual card PAN/CVV/expiry, whatever keys a provider uses)
# is redacted as a whole object, however nested; one cut off by a cap up to the end of the text.
_DELIVERY = re.compile(r'"delivery"\s*:\s*\{')
# Delivery fields met outside a delivery object. Exact names: "pan" must not hit "company".
_SECRET_KEY = re.compile(r'("(?:pan|expiry|gift_code)"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)


def _object_end(text: str, start: int) -> int:
    """The index after the JSON object opening at `start` (its `{`), or len(text) if cut off."""
    depth, i, in_string = 0, start, False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def redact_deliveries(text: str) -> str:
    parts, pos = [], 0
    for match in _DELIVERY.finditer(text):
        if match.start() < pos:
            continue  # inside a delivery already redacted
        opening = match.end() - 1
        parts += [text[pos:opening], f'"{_REDACTED}"']
        pos = _object_end(text, opening)
    return "".join(parts) + text[pos:]


def _card_span(candidate: str) -> tuple[int, int, str] | None:
    """Where a Luhn-valid card number lies in a run of digit groups: the whole run, else the
    longest part of it from one separator to another, so a number next to other digits
    ("HTTP 500 4111 …", "qty 2 4111…") is still found. Longest first: never a part of a card."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", candidate)]
    spans = sorted(((i, j) for i in range(len(groups)) for j in range(i, len(groups))), key=lambda ij: ij[0] - ij[1])
    for i, j in spans:
        start, end = groups[i][0], groups[j][1]
        digits = re.sub(r"[ -]", "", candidate[start:end])
        if 12 <= len(digits) <= 19 and luhn_valid(digits):
            return start, end, digits
    return None


def mask_cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        candidate = match.group(0)
        found = _card_span(candidate)
        if found is None:
            return candidate
        start, end, digits = found
        return candidate[:start] + mask_card_number(digits) + candidate[end:]

    return _CARDLIKE.sub(replace, text)


def cannot_hold_secrets(text: str) -> bool:
    """True when none of the patterns `sanitize_text` applies can match: each needs a quote
    (JSON fields, deliveries), an `=` (form fields), `qk_` (API keys) or a card-like digit run.
    Most header values, paths and ids: the six regex passes are skipped (~10 µs each value,
    a dozen values a request)."""
    return '"' not in text and "=" not in text and "qk_" not in text and _CARDLIKE.search(text) is None


def redact_all(text: str) -> str:
    """Every rule, uncapped."""
    cleaned = redact_deliveries(text)
    cleaned = _SECRET_KEY.sub(r'\1"' + _REDACTED + '"', cleaned)
    if not cleaned.lstrip().startswith(("{", "[")):  # a form, not JSON
        cleaned = _SECRET_FORM_FIELD.sub(r"\1" + _REDACTED, cleaned)
    return _BEARER.sub(r"\1" + _REDACTED, _SECRET_FIELD.sub(r'\1"' + _REDACTED + '"', mask_cards(cleaned)))


def sanitize_text(text: str, cap: int = MAX_LOGGED_BODY) -> str:
    # Mask before capping, so a number cut in half by the cap is never left partly visible.
    cleaned = text if cannot_hold_secrets(text) else redact_all(text)
    if len(cleaned) > cap:
        return cleaned[:cap] + f"…[{len(cleaned) - cap} more chars]"
    return cleaned


def sanitize_body(raw: bytes, cap: int = MAX_LOGGED_BODY, total: int | None = None) -> str:
    """`raw`: the body, or a prefix of it at least `cap * 2` long when `total` (its full size)
    is given: only that prefix is ever read."""
    # Sanitize a bounded prefix only: logging must not cost O(body) on huge payloads.
    head = raw[: cap * 2].decode("utf-8", errors="replace")
    text = sanitize_text(head, cap)
    size = len(raw) if total is None else total
    if size > cap * 2 and not text.endswith("]"):
        text += f"…[{size - cap * 2} more bytes]"
    return text


def sanitize_headers(headers: list[tuple[bytes, bytes]]) -> str:
    lines = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = _REDACTED if name in SECRET_HEADERS else raw_value.decode("latin-1")
        lines.append(f"{name}: {sanitize_text(value, 512)}")
    return "\n".join(lines)[:MAX_LOGGED_BODY]


def sanitize_header_lines(text: str) -> list[tuple[str, str]]:
    """Stored header lines (`name: value`, as `sanitize_headers` wrote them) as pairs,
    sanitized again on the way out: rows written by older code or other writers are shown
    through the same rules (secret headers redacted, card numbers masked, values capped)."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not name:
            continue
        value = value.strip() if sep else ""
        pairs.append((name[:200], _REDACTED if name in SECRET_HEADERS else sanitize_text(value, 512)))
    return pairs
