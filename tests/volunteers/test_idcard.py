"""ID-card numbers (GB 11643) and the masking helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.volunteers.idcard import (
    id_check_digit,
    mask_id_number,
    mask_name,
    normalize_id_number,
)

from .factories import ID_123X, ID_CLASSIC, valid_id_number, wrong_checksum


def _code(raw: str) -> str:
    with pytest.raises(ValidationError) as info:
        normalize_id_number(raw)
    return info.value.error_list[0].code


class TestNormalize:
    def test_valid_number_with_x_check_digit(self):
        assert id_check_digit(ID_CLASSIC[:17]) == "X"
        assert normalize_id_number(ID_CLASSIC) == ID_CLASSIC

    def test_valid_number_with_digit_check_digit(self):
        number = valid_id_number(7)
        assert number[-1].isdigit() or number[-1] == "X"
        assert normalize_id_number(number) == number

    def test_lowercase_x_and_spaces_are_normalised(self):
        assert normalize_id_number(" 110105 19491231 002x ") == ID_CLASSIC

    def test_wrong_checksum(self):
        assert _code(wrong_checksum(ID_CLASSIC)) == "invalid_id_checksum"
        with pytest.raises(ValidationError, match="校验位"):
            normalize_id_number(wrong_checksum(ID_123X))

    @pytest.mark.parametrize("birth", ["19490231", "19491301", "18991231"])
    def test_bad_birth_date(self, birth):
        first17 = f"110105{birth}002"
        # A correct check digit, so only the date can be what is wrong.
        assert _code(first17 + id_check_digit(first17)) == "invalid_id_birth"

    def test_birth_date_in_the_future(self):
        future = dt.date.today() + dt.timedelta(days=400)
        first17 = f"110105{future:%Y%m%d}002"
        assert _code(first17 + id_check_digit(first17)) == "invalid_id_birth"

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "11010519491231002",
            "11010519491231002X1",
            "110105194912310",
            "1101051949123100AX",
            "X10105194912310021",
        ],
    )
    def test_wrong_length_or_characters(self, raw):
        assert _code(raw) == "invalid_id_format"

    @pytest.mark.parametrize("number", [ID_CLASSIC, valid_id_number(7)])
    def test_full_width_input_is_folded_to_ascii(self, number):
        # A Chinese IME may type full-width digits and Ｘ; they must reach the database
        # as ASCII, or the unique index would miss the same person typed in ASCII.
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
        assert normalize_id_number(full_width + "\u3000") == number

    def test_other_unicode_digits_rejected(self):
        arabic_indic = "".join(chr(0x0660 + int(c)) for c in ID_CLASSIC[:17]) + "X"
        assert _code(arabic_indic) == "invalid_id_format"


class TestMasks:
    def test_mask_id_number(self):
        assert mask_id_number(ID_123X) == "110***********123X"
        assert len(mask_id_number(ID_123X)) == 18
        assert mask_id_number("") == ""
        assert mask_id_number(None) == ""

    @pytest.mark.parametrize(
        ("name", "masked"),
        [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", ""), (None, "")],
    )
    def test_mask_name(self, name, masked):
        assert mask_name(name) == masked
