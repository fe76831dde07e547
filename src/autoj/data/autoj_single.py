"""Auto-J's released single-response training data: each row holds the filled Auto-J prompt, so
the query and the response are recovered by splitting it along the template."""

from __future__ import annotations

from autoj.protocols.base import load_template


def unfill_single(message: str, template: str | None = None) -> tuple[str, str] | None:
    """(query, response) such that the Auto-J single template filled with them is `message`.

    The split point between query and response is ambiguous only if the query itself contains the
    template's separator; the first split that rebuilds the message exactly wins.
    """
    template = template if template is not None else load_template("autoj_single.txt")
    head, rest = template.split("{query}", 1)
    middle, tail = rest.split("{response}", 1)
    if not message.startswith(head) or not message.endswith(tail) or len(message) < len(head) + len(tail):
        return None
    body = message[len(head) : len(message) - len(tail)]
    start = body.find(middle)
    while start >= 0:
        query, response = body[:start], body[start + len(middle) :]
        if head + query + middle + response + tail == message:
            return query, response
        start = body.find(middle, start + 1)
    return None
