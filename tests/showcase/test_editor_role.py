"""The media center's ``editor`` role: held at a county only, granted by county admins
only; the role_name_valid check constraint accepts it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import Role, RoleName
from apps.accounts.services import role_grant
from apps.core.errors import PermissionDeniedError
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_county_admin_grants_the_editor_role(cast: Any, tree: Any) -> None:
    person = UserFactory()
    role = role_grant(actor=cast.county, user=person, role=RoleName.EDITOR, site=tree.county)
    assert role.role == "editor"
    with pytest.raises(ValidationError):
        role_grant(actor=cast.county, user=person, role=RoleName.EDITOR, site=tree.town1)


def test_staff_cannot_grant_it(tree: Any) -> None:
    county_staff = user_with_role("cs", RoleName.STAFF, tree.county)
    with pytest.raises(PermissionDeniedError):
        role_grant(actor=county_staff, user=UserFactory(), role=RoleName.EDITOR, site=tree.county)


def test_the_check_constraint_knows_it(tree: Any) -> None:
    Role.objects.create(user=UserFactory(), site=tree.county, role="editor")
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.create(user=UserFactory(), site=tree.county, role="chief_editor")
