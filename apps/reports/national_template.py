"""The layout of the workbook for the national volunteer information system
(全国志愿服务信息系统), the one place it is written down.

The national system's bulk import of service records (《志愿服务记录与证明出具办法》)
takes one row per volunteer per service with the columns below, in this order, under
these exact headers. When the national template changes, change it here — headers,
order, widths, the certificate type's wording, time formats — and nothing else: the
export (``apps.reports.national``) writes whatever this module says.

Sheet 1 (``RECORDS_SHEET``): the records, import-ready — only volunteers with an ID
number on file. Sheet 2 (``MISSING_SHEET``): the volunteers who have service in the
period but no ID number, with how many services and hours wait for them, so the ID
numbers can be completed first and the export run again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str  # exactly as the national template has it
    key: str  # the field of a record row (apps.reports.national.Record)
    width: int  # characters, for a readable sheet
    number_format: str = ""  # Excel's, for numbers and times


RECORDS_SHEET = "服务记录"
MISSING_SHEET = "缺少证件号码的志愿者"

# The certificate type the national system expects for a resident ID card.
ID_TYPE_RESIDENT_CARD = "居民身份证"

# How times and dates are written: the national template takes text, local time.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"

RECORD_COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", 10),
    Column("证件类型", "id_type", 12),
    Column("证件号码", "id_number", 22),
    Column("手机号", "mobile", 14),
    Column("服务项目或活动名称", "title", 30),
    Column("服务开始时间", "start", 18),
    Column("服务结束时间", "end", 18),
    Column("服务时长", "hours", 10, "0.0"),
    Column("记录组织", "organisation", 28),
    Column("记录日期", "recorded_on", 12),
)

MISSING_COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", 10),
    Column("手机号", "mobile", 14),
    Column("所属阵地", "site", 28),
    Column("志愿者编号", "number", 14),
    Column("待导出服务次数", "services", 14),
    Column("待导出服务时长", "hours", 14, "0.0"),
)
