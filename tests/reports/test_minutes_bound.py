import pytest
from django.utils import translation

from apps.reports.figures import OVERFLOW_MINUTES
from apps.reports.templatetags.report_tags import minutes_bound


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (None, "—", "—"),
        (15, "≤15 分钟", "≤15 min"),
        (120, "≤2 小时", "≤2 h"),
        (4320, "≤3 天", "≤3 days"),
        (1440, "≤1 天", "≤1 day"),
        (OVERFLOW_MINUTES, "超过 7 天", "over 7 days"),
    ],
)
def test_percentiles_read_as_people_read_them(value, zh, en):
    with translation.override("zh-hans"):
        assert minutes_bound(value) == zh
    with translation.override("en"):
        assert minutes_bound(value) == en
