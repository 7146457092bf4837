"""factory_boy factories for the portal's models."""

from __future__ import annotations

import factory

from apps.accounts.models import Role, RoleName, User
from apps.sites.models import Site, SiteLevel

PASSWORD = "demo12345"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"阵地{n}")
    level = SiteLevel.COUNTY
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    mobile = factory.Sequence(lambda n: f"135{n:08d}")
    real_name = factory.Sequence(lambda n: f"用户{n}")

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: object) -> None:  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    role = RoleName.RESIDENT


def user_with_role(username: str, role: str, site: Site, **kwargs: object) -> User:
    user = UserFactory(username=username, **kwargs)
    Role.objects.create(user=user, site=site, role=role)
    return user
