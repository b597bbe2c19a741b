"""Xero's date formats, in one place so the rest of the sandbox deals in ``date``/``datetime``.

Xero's JSON API predates ISO-8601 in .NET: it returns Microsoft JSON dates,
``/Date(1551139200000+0000)/`` (milliseconds since the epoch, with an offset) for record fields
and ``/Date(1551213568047)/`` (no offset) for the envelope's ``DateTimeUTC``, and adds a
``DateString`` (``2019-02-26T00:00:00``) next to accounting dates. On input it accepts
``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS`` and the MS-JSON form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def _epoch_millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def ms_datetime(moment: datetime) -> str:
    """A record timestamp such as ``UpdatedDateUTC``: ``/Date(1551213567813+0000)/``."""
    return f"/Date({_epoch_millis(moment)}+0000)/"


def ms_envelope_datetime(moment: datetime) -> str:
    """The response envelope's ``DateTimeUTC``, which Xero writes without an offset."""
    return f"/Date({_epoch_millis(moment)})/"


def ms_date(day: date) -> str:
    """An accounting date (midnight UTC): ``/Date(1551139200000+0000)/``."""
    return ms_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))


def date_string(day: date) -> str:
    """The ``DateString`` companion of an accounting date: ``2019-02-26T00:00:00``."""
    return f"{day.isoformat()}T00:00:00"


def parse_date(value: object) -> date:
    """Parse an accounting date as Xero accepts it; raises ``ValueError`` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"invalid date {value!r}")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        millis = int(match.group(1))
        offset = match.group(2)
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
        if offset:
            sign = 1 if offset[0] == "+" else -1
            moment += sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return moment.date()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text[:10])
    raise ValueError(f"invalid date {value!r}")


def parse_timestamp(value: str) -> datetime:
    """Parse ``If-Modified-Since``: ISO-8601 (what Xero's SDKs send) or an HTTP date.

    A naive timestamp is taken as UTC, which is how Xero interprets it.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid timestamp {value!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def long_date(day: date) -> str:
    """``31 March 2024``, the format of Xero's lock-date messages."""
    return f"{day.day} {day.strftime('%B')} {day.year}"
