"""Service records for the national volunteer information system: one row per
volunteer per service, for a site's subtree and a period, as an .xlsx workbook laid
out by ``national_template``.

Three sources, each one query read in chunks (the count of queries does not depend on
the number of rows, and memory does not grow with it: openpyxl's write-only workbook
streams rows to a temporary file):

- orders: each volunteer's confirmed hours on an order assessed and approved
  (考核通过), the service timed by the check-in and check-out, recorded by the
  assessing site on the day of the assessment;
- activities: each confirmed attendance with hours, recorded by the organising site on
  the day the attendance was confirmed;
- service records entered by hand (``ServiceRecord`` with a ``manual:`` key), dated
  by their service date.

The period is the service's (local) start date. Full ID numbers and mobiles are in
this workbook only; who exported what is written to the personal-data access log.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from apps.accounts.access_log import write_access_rows
from apps.accounts.models import RevealedField, User
from apps.activities.models import AttendanceStatus, Signup, SignupStatus
from apps.orders.models import OrderAssignment, OrderStatus
from apps.sites.models import Site
from apps.volunteers.models import ServiceRecord, Volunteer

from . import national_template as T

CHUNK = 2000
MAX_DAYS = 366  # one export covers at most a year


@dataclass
class Record:
    volunteer_id: int
    user_id: int
    name: str
    id_number: str | None
    mobile: str
    title: str
    start: str
    end: str
    hours: Decimal
    organisation: str
    recorded_on: str
    id_type: str = T.ID_TYPE_RESIDENT_CARD


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as [start, end) instants (Asia/Shanghai)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())
    return start, start + dt.timedelta(days=1)


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime(T.DATETIME_FORMAT) if moment else ""


def _day(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    return moment.strftime(T.DATE_FORMAT)


VOLUNTEER_FIELDS = (
    "volunteer_id",
    "volunteer__user_id",
    "volunteer__real_name",
    "volunteer__id_number",
    "volunteer__mobile",
)


def records(site: Site, day_from: dt.date, day_to: dt.date) -> Iterator[Record]:
    """Every record of the period under ``site``: orders, then activities, then the
    records entered by hand, each in time order. Three queries in all."""
    start, _ = day_bounds(day_from)
    _, end = day_bounds(day_to)
    assignments = (
        OrderAssignment.objects.filter(
            order__status=OrderStatus.ASSESSED,
            order__assessment_approved=True,
            order__site__path__startswith=site.path,
            confirmed_hours__gt=0,
            checked_in_at__gte=start,
            checked_in_at__lt=end,
        )
        .order_by("checked_in_at", "id")
        .values_list(
            *VOLUNTEER_FIELDS,
            "order__service__title",
            "checked_in_at",
            "checked_out_at",
            "confirmed_hours",
            "order__assessed_site__name",
            "order__handling_site__name",
            "order__assessed_at",
        )
    )
    for (
        v_id,
        u_id,
        name,
        id_no,
        mobile,
        title,
        cin,
        cout,
        hours,
        assessed,
        handling,
        at,
    ) in assignments.iterator(chunk_size=CHUNK):
        yield Record(
            v_id,
            u_id,
            name,
            id_no,
            mobile,
            title,
            _when(cin),
            _when(cout),
            hours,
            assessed or handling,
            _day(at),
        )

    signups = (
        Signup.objects.filter(
            status=SignupStatus.CONFIRMED,
            attendance=AttendanceStatus.CONFIRMED,
            confirmed_hours__gt=0,
            activity__site__path__startswith=site.path,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
        .order_by("activity__starts_at", "id")
        .values_list(
            *VOLUNTEER_FIELDS,
            "activity__title",
            "checked_in_at",
            "checked_out_at",
            "activity__starts_at",
            "activity__ends_at",
            "confirmed_hours",
            "activity__site__name",
            "attendance_confirmed_at",
        )
    )
    for (
        v_id,
        u_id,
        name,
        id_no,
        mobile,
        title,
        cin,
        cout,
        starts,
        ends,
        hours,
        org,
        at,
    ) in signups.iterator(chunk_size=CHUNK):
        yield Record(
            v_id,
            u_id,
            name,
            id_no,
            mobile,
            title,
            _when(cin or starts),
            _when(cout or ends),
            hours,
            org,
            _day(at),
        )

    manual = (
        ServiceRecord.objects.filter(
            source_key__startswith="manual:",
            site__path__startswith=site.path,
            service_date__gte=day_from,
            service_date__lte=day_to,
        )
        .order_by("service_date", "id")
        .values_list(
            *VOLUNTEER_FIELDS, "title", "service_date", "hours", "site__name", "created_at"
        )
    )
    for v_id, u_id, name, id_no, mobile, title, day, hours, org, at in manual.iterator(
        chunk_size=CHUNK
    ):
        yield Record(
            v_id, u_id, name, id_no, mobile, title, _day(day), _day(day), hours, org, _day(at)
        )


@dataclass
class Missing:
    user_id: int
    name: str
    mobile: str
    site: str
    number: str
    services: int = 0
    hours: Decimal = Decimal("0")


@dataclass
class Export:
    file: IO[bytes]  # the workbook, positioned at its start
    rows: int
    missing: int


def _row(sheet: Any, values: list[Any], columns: tuple[T.Column, ...]) -> None:
    cells = []
    for value, column in zip(values, columns, strict=True):
        cell = WriteOnlyCell(sheet, value=value)
        if column.number_format:
            cell.number_format = column.number_format
        cells.append(cell)
    sheet.append(cells)


def _header(sheet: Any, columns: tuple[T.Column, ...]) -> None:
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def export_workbook(
    *, viewer: User, site: Site, day_from: dt.date, day_to: dt.date, source: str
) -> Export:
    """Write the workbook (caller checked that ``viewer`` is a county admin over
    ``site``) and log the reveals: each volunteer's ID number and mobile, once per
    export, in one INSERT. Four queries besides the log, whatever the number of rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(T.RECORDS_SHEET)
    _header(sheet, T.RECORD_COLUMNS)
    revealed: dict[int, str] = {}
    missing: dict[int, Missing] = {}
    rows = 0
    for record in records(site, day_from, day_to):
        if not record.id_number:
            entry = missing.get(record.volunteer_id)
            if entry is None:
                entry = missing[record.volunteer_id] = Missing(
                    record.user_id, record.name, record.mobile, "", ""
                )
            entry.services += 1
            entry.hours += record.hours
            continue
        _row(sheet, [getattr(record, c.key) for c in T.RECORD_COLUMNS], T.RECORD_COLUMNS)
        revealed[record.user_id] = record.name
        rows += 1
    second = workbook.create_sheet(T.MISSING_SHEET)
    _header(second, T.MISSING_COLUMNS)
    if missing:
        for v_id, number, site_name in Volunteer.objects.filter(pk__in=list(missing)).values_list(
            "pk", "number", "site__name"
        ):
            missing[v_id].number = number or ""
            missing[v_id].site = site_name
        for entry in sorted(missing.values(), key=lambda e: (e.site, e.name)):
            _row(second, [getattr(entry, c.key) for c in T.MISSING_COLUMNS], T.MISSING_COLUMNS)
    # Spooled: small workbooks stay in memory, large ones go to a temporary file.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    workbook.save(out)
    out.seek(0)
    both = (RevealedField.ID_NUMBER.value, RevealedField.MOBILE.value)
    log = [
        (viewer.pk, user_id, name[:100], field, source[:200])
        for user_id, name in revealed.items()
        for field in both
    ]
    log += [
        (viewer.pk, e.user_id, e.name[:100], RevealedField.MOBILE.value, source[:200])
        for e in missing.values()
    ]
    write_access_rows([row for row in log if row[1] != viewer.pk])
    return Export(out, rows, len(missing))
