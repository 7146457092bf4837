from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.sites.models import Site, SiteLevel

pytestmark = pytest.mark.django_db


def test_paths_follow_the_tree(tree):
    assert tree.county.depth == 0
    assert tree.village1.path.startswith(tree.town1.path)
    assert tree.village1.path.startswith(tree.county.path)
    assert not tree.village2.path.startswith(tree.town1.path)
    assert tree.village1.ancestor_ids() == [tree.county.pk, tree.town1.pk, tree.village1.pk]


def test_subtree_is_one_query(tree):
    with CaptureQueriesContext(connection) as ctx:
        names = set(tree.town1.subtree().values_list("name", flat=True))
    assert len(ctx.captured_queries) == 1
    assert names == {tree.town1.name, tree.village1.name, tree.village1b.name}


@pytest.mark.parametrize(
    ("level", "parent_attr"),
    [
        (SiteLevel.VILLAGE, "county"),  # a village must hang under a township
        (SiteLevel.TOWNSHIP, "town1"),  # a township must hang under the county
        (SiteLevel.COUNTY, "county"),  # the county center has no parent
        (SiteLevel.BASE, "base"),  # a base may not hold a base
        (SiteLevel.TOWNSHIP, None),  # only the county is a root
    ],
)
def test_level_rules_are_enforced(tree, level, parent_attr):
    parent = getattr(tree, parent_attr) if parent_attr else None
    site = Site(name="错误的阵地", level=level, parent=parent)
    with pytest.raises(ValidationError):
        site.full_clean(exclude=["path", "depth"])


@pytest.mark.parametrize(
    ("level", "parent_attr"),
    [
        (SiteLevel.VILLAGE, "town2"),
        (SiteLevel.BASE, "village1"),
        (SiteLevel.BASE, "town1"),
    ],
)
def test_valid_placements_pass(tree, level, parent_attr):
    Site(name="新阵地", level=level, parent=getattr(tree, parent_attr)).full_clean(
        exclude=["path", "depth"]
    )


def test_database_rejects_rootless_township(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(name="孤儿乡", level=SiteLevel.TOWNSHIP, parent=None)


def test_moving_a_site_rewrites_descendant_paths(tree):
    # A base under village1 follows village1 when it moves to town2.
    base = Site(name="站内基地", level=SiteLevel.BASE, parent=tree.village1)
    base.save()
    tree.village1.parent = tree.town2
    tree.village1.save()
    base.refresh_from_db()
    assert base.path.startswith(tree.town2.path)
    assert base.depth == 3
    assert set(tree.town2.subtree().values_list("pk", flat=True)) >= {tree.village1.pk, base.pk}
    assert base.pk not in set(tree.town1.subtree().values_list("pk", flat=True))
