"""Mobile numbers: normalisation, masking, and who sees a number whole."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.mobile import looks_like_mobile, mask_mobile, normalize_mobile
from apps.accounts.models import Role, RoleName
from apps.accounts.selectors import mobile_for, mobile_visible_to

from ..factories import UserFactory


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("19900001111", "199****1111"),
        ("", ""),
        (None, ""),
        ("1234567", "*******"),  # too short to show any digits
    ],
)
def test_mask_mobile(raw, masked):
    assert mask_mobile(raw) == masked


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138-1234-5678",
        "0086 13812345678",
        "8613812345678",
        "(138)12345678",
    ],
)
def test_normalize_mobile_accepts_common_spellings(raw):
    assert normalize_mobile(raw) == "13812345678"
    assert looks_like_mobile(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "2381234567",
        "23812345678",
        "12812345678",
        "1381234567",
        "138123456789",
        "1381234567x",
        "",
        "+1 138 1234 5678",
    ],
)
def test_normalize_mobile_rejects_malformed(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_mobile(raw)
    assert exc.value.code == "invalid_mobile"
    assert not looks_like_mobile(raw)


@pytest.mark.django_db
class TestWhoSeesAMobileWhole:
    def test_owner_sees_their_own(self, cast):
        assert mobile_for(cast.res1, cast.res1) == "13600000001"

    # Issue #12: a full number is shown to its owner only; staff in scope reveal it by
    # an explicit, logged action (mobile_visible_to says who may).
    def test_staff_of_the_owners_township_see_it_masked_by_default(self, cast):
        assert mobile_for(cast.town1, cast.res1) == "136****0001"
        assert mobile_for(cast.village1, cast.res1) == "136****0001"
        assert mobile_visible_to(cast.town1, cast.res1)

    def test_county_admin_sees_it_masked_by_default(self, cast):
        assert mobile_for(cast.county, cast.res9) == "136****0009"

    def test_staff_of_another_township_see_it_masked(self, cast):
        assert mobile_for(cast.town2, cast.res1) == "136****0001"
        assert mobile_for(cast.town1, cast.res9) == "136****0009"

    def test_residents_and_volunteers_see_each_other_masked(self, cast):
        assert mobile_for(cast.res9, cast.res1) == "136****0001"
        assert mobile_for(cast.res1, cast.vol1) == "137****0001"
        assert mobile_for(cast.vol1, cast.res1) == "136****0001"

    def test_village_staff_do_not_see_their_township_staff_whole(self, cast):
        # village1 manages village1's subtree only; town1's role sits above it.
        assert mobile_for(cast.village1, cast.town1) == "139****0011"

    def test_anonymous_and_roleless_see_it_masked(self, cast):
        from django.contrib.auth.models import AnonymousUser

        assert mobile_for(AnonymousUser(), cast.res1) == "136****0001"
        assert mobile_for(None, cast.res1) == "136****0001"
        assert mobile_for(cast.nobody, cast.res1) == "136****0001"

    def test_superuser_sees_it_masked_by_default(self, cast):
        admin = UserFactory(username="root", is_superuser=True, is_staff=True)
        assert mobile_for(admin, cast.res9) == "136****0009"

    def test_a_user_with_no_mobile_shows_nothing(self, cast):
        silent = UserFactory(username="silent", mobile=None)
        assert mobile_for(cast.county, silent) == ""

    def test_visibility_follows_a_role_in_scope(self, tree, cast):
        # res9 lives under town2; once res9 also volunteers at village1 (town1's
        # subtree), town1 staff see the number whole.
        assert not mobile_visible_to(cast.town1, cast.res9)
        Role.objects.create(user=cast.res9, site=tree.village1, role=RoleName.VOLUNTEER)
        assert mobile_visible_to(cast.town1, cast.res9)
        assert mobile_for(cast.town1, cast.res9) == "136****0009"  # still masked by default
