"""Who may take each step ("not yours" at every step): a wrong reviewer who cannot see
the post gets NotFoundError (404, like a post that is not there); one who can see it
but does not hold the step gets PermissionDeniedError ``not_your_review`` (403). The
post is unchanged and no event is written either way."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import RoleName
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.showcase import services
from apps.showcase.models import PostEvent
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

MOVES = {
    "approve": lambda actor, pk: services.post_approve(actor=actor, post_id=pk),
    "return": lambda actor, pk: services.post_return(actor=actor, post_id=pk, comment="改"),
    "reject": lambda actor, pk: services.post_reject(actor=actor, post_id=pk, reason="不行"),
}


def _people(cast: Any, editor: Any, editor2: Any, county_staff: Any, tree: Any) -> dict[str, Any]:
    village1b = user_with_role("village1b", RoleName.STAFF, tree.village1b)
    return {
        "author": cast.village1,
        "other_village": village1b,
        "town1": cast.town1,
        "town2": cast.town2,
        "county": cast.county,
        "county_staff": county_staff,
        "editor": editor,
        "editor2": editor2,
        "volunteer": cast.vol1,
        "resident": cast.res1,
        "nobody": cast.nobody,
    }


# step → (who may act, {who may not: the error})
STEPS = {
    "township_review": (
        ["town1"],
        {
            "author": PermissionDeniedError,
            "other_village": NotFoundError,
            "town2": NotFoundError,
            "county": PermissionDeniedError,
            "county_staff": PermissionDeniedError,
            "editor": PermissionDeniedError,
            "editor2": NotFoundError,
            "volunteer": NotFoundError,
            "resident": NotFoundError,
            "nobody": NotFoundError,
        },
    ),
    "county_review": (
        ["county", "county_staff"],
        {
            "author": PermissionDeniedError,
            "other_village": NotFoundError,
            "town1": PermissionDeniedError,
            "town2": NotFoundError,
            "editor": PermissionDeniedError,
            "editor2": NotFoundError,
            "volunteer": NotFoundError,
            "nobody": NotFoundError,
        },
    ),
    "editor_review": (
        ["editor"],
        {
            "author": PermissionDeniedError,
            "other_village": NotFoundError,
            "town1": PermissionDeniedError,
            "town2": NotFoundError,
            "county": PermissionDeniedError,
            "county_staff": PermissionDeniedError,
            "editor2": NotFoundError,
            "resident": NotFoundError,
            "nobody": NotFoundError,
        },
    ),
}


@pytest.mark.parametrize("move", sorted(MOVES))
@pytest.mark.parametrize("step", sorted(STEPS))
def test_not_yours_at_every_step(
    make_post: Any,
    cast: Any,
    tree: Any,
    editor: Any,
    editor2: Any,
    county_staff: Any,
    step: str,
    move: str,
) -> None:
    people = _people(cast, editor, editor2, county_staff, tree)
    post = make_post(step)
    allowed, refused = STEPS[step]
    events = PostEvent.objects.filter(post=post).count()
    for who, error in refused.items():
        with pytest.raises(error) as err:
            MOVES[move](people[who], post.pk)
        if error is PermissionDeniedError:
            assert err.value.code == "not_your_review", who
        post.refresh_from_db()
        assert post.status == step, who
    assert PostEvent.objects.filter(post=post).count() == events
    # ...and the right reviewer may.
    MOVES[move](people[allowed[0]], post.pk)
    post.refresh_from_db()
    assert post.status != step


def test_every_county_reviewer_may_act(make_post: Any, county_staff: Any) -> None:
    post = make_post("county_review")
    services.post_approve(actor=county_staff, post_id=post.pk)
    post.refresh_from_db()
    assert post.status == "editor_review"


@pytest.mark.parametrize("who", ["author", "town1", "county_staff", "editor2", "nobody"])
def test_unpublish_is_for_the_editor_and_the_county_admin(
    make_post: Any, cast: Any, tree: Any, editor: Any, editor2: Any, county_staff: Any, who: str
) -> None:
    people = _people(cast, editor, editor2, county_staff, tree)
    post = make_post("published")
    expected = NotFoundError if who in ("editor2", "nobody") else PermissionDeniedError
    with pytest.raises(expected):
        services.post_unpublish(actor=people[who], post_id=post.pk, reason="撤")
    post.refresh_from_db()
    assert post.status == "published"
    services.post_unpublish(actor=editor, post_id=post.pk, reason="撤")


@pytest.mark.parametrize("who", ["other_village", "town2", "editor", "volunteer", "nobody"])
def test_only_the_sites_staff_write_and_submit(
    make_post: Any, cast: Any, tree: Any, editor: Any, editor2: Any, county_staff: Any, who: str
) -> None:
    people = _people(cast, editor, editor2, county_staff, tree)
    post = make_post("draft")
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        services.post_update(actor=people[who], post_id=post.pk, title="改", body="改")
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        services.post_submit(actor=people[who], post_id=post.pk, consent=True)
    with pytest.raises(PermissionDeniedError):
        services.post_create(actor=people[who], site=tree.village1, title="t", body="b")
    post.refresh_from_db()
    assert post.status == "draft"
