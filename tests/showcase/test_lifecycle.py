"""The post lifecycle: the chain by site level, every move's event row, return and
resubmit restarting the chain, reject final, unpublish, the consent tick, and every
move the table does not allow."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.core.errors import ConflictError
from apps.showcase import services
from apps.showcase.models import PostEvent, PostStatus, ShowcasePost
from apps.showcase.services.workflow import TRANSITIONS

from .conftest import draft

pytestmark = pytest.mark.django_db


def _trail(post: ShowcasePost) -> list[tuple[str, str, str]]:
    return list(
        PostEvent.objects.filter(post=post)
        .order_by("created_at", "id")
        .values_list("action", "from_status", "to_status")
    )


def test_chains_by_site_level(tree: Any) -> None:
    assert services.chain_for(tree.village1) == [
        "township_review",
        "county_review",
        "editor_review",
    ]
    assert services.chain_for(tree.town1) == ["county_review", "editor_review"]
    assert services.chain_for(tree.county) == ["editor_review"]
    # A base hanging under the county skips the township step.
    assert services.chain_for(tree.base) == ["county_review", "editor_review"]


def test_village_post_from_draft_to_published(cast: Any, tree: Any, editor: Any) -> None:
    post = draft(cast.village1, tree.village1, photos=2)
    assert post.status == PostStatus.DRAFT and post.photos.count() == 2
    services.post_submit(actor=cast.village1, post_id=post.pk, consent=True)
    post.refresh_from_db()
    assert post.status == "township_review"
    assert post.consent_by == cast.village1 and post.consent_at is not None
    services.post_approve(actor=cast.town1, post_id=post.pk, note="很好")
    post.refresh_from_db()
    assert post.status == "county_review" and post.published_at is None
    services.post_approve(actor=cast.county, post_id=post.pk)
    post.refresh_from_db()
    assert post.status == "editor_review" and post.published_at is None
    services.post_approve(actor=editor, post_id=post.pk)
    post.refresh_from_db()
    assert post.status == "published" and post.published_at is not None
    assert _trail(post) == [
        ("create", "", "draft"),
        ("submit", "draft", "township_review"),
        ("approve", "township_review", "county_review"),
        ("approve", "county_review", "editor_review"),
        ("publish", "editor_review", "published"),
    ]
    actors = list(PostEvent.objects.filter(post=post).values_list("actor__username", flat=True))
    assert actors == ["village1", "village1", "town1", "county", "editor"]
    assert (
        PostEvent.objects.get(post=post, action="approve", from_status="township_review").note
        == "很好"
    )


def test_township_and_county_posts_start_higher(cast: Any, tree: Any, editor: Any) -> None:
    town = draft(cast.town1, tree.town1)
    services.post_submit(actor=cast.town1, post_id=town.pk, consent=True)
    town.refresh_from_db()
    assert town.status == "county_review"
    county = draft(cast.county, tree.county)
    services.post_submit(actor=cast.county, post_id=county.pk, consent=True)
    county.refresh_from_db()
    assert county.status == "editor_review"
    services.post_approve(actor=editor, post_id=county.pk)
    county.refresh_from_db()
    assert county.status == "published"


def test_return_then_resubmit_restarts_the_chain(make_post: Any, cast: Any, editor: Any) -> None:
    post = make_post("editor_review")
    services.post_return(actor=editor, post_id=post.pk, comment="第二张照片请换一张")
    post.refresh_from_db()
    assert post.status == "returned" and post.review_comment == "第二张照片请换一张"
    services.post_update(actor=cast.village1, post_id=post.pk, title="换了照片", body="新的正文")
    services.post_submit(actor=cast.village1, post_id=post.pk, consent=True)
    post.refresh_from_db()
    assert post.status == "township_review"  # from the first step again
    assert post.review_comment == ""
    assert ("return", "editor_review", "returned") in _trail(post)
    assert ("edit", "returned", "returned") in _trail(post)


def test_reject_is_final(make_post: Any, cast: Any) -> None:
    post = make_post("rejected")
    assert post.status == "rejected" and post.review_comment == "与主题无关"
    for move in (
        lambda: services.post_submit(actor=cast.village1, post_id=post.pk, consent=True),
        lambda: services.post_update(actor=cast.village1, post_id=post.pk, title="x", body="y"),
        lambda: services.post_approve(actor=cast.town1, post_id=post.pk),
    ):
        with pytest.raises(ConflictError) as err:
            move()
        assert err.value.code == "illegal_transition"


def test_unpublish_with_a_reason(make_post: Any, editor: Any, cast: Any) -> None:
    post = make_post("published")
    with pytest.raises(ValidationError):
        services.post_unpublish(actor=editor, post_id=post.pk, reason="  ")
    services.post_unpublish(actor=cast.county, post_id=post.pk, reason="当事人要求撤下")
    post.refresh_from_db()
    assert post.status == "unpublished" and post.unpublish_reason == "当事人要求撤下"
    assert _trail(post)[-1] == ("unpublish", "published", "unpublished")
    with pytest.raises(ConflictError):
        services.post_unpublish(actor=editor, post_id=post.pk, reason="再撤一次")


def test_consent_is_required_and_stored(cast: Any, tree: Any) -> None:
    post = draft(cast.village1, tree.village1)
    with pytest.raises(ValidationError) as err:
        services.post_submit(actor=cast.village1, post_id=post.pk, consent=False)
    assert "consent" in err.value.message_dict
    post.refresh_from_db()
    assert post.status == "draft" and post.consent_at is None
    assert _trail(post) == [("create", "", "draft")]


@pytest.mark.parametrize(
    ("status", "move"),
    [
        ("draft", "approve"),
        ("draft", "return"),
        ("draft", "reject"),
        ("draft", "unpublish"),
        ("township_review", "submit"),
        ("township_review", "edit"),
        ("township_review", "unpublish"),
        ("published", "approve"),
        ("published", "submit"),
        ("published", "edit"),
        ("published", "return"),
        ("unpublished", "approve"),
        ("unpublished", "submit"),
        ("returned", "approve"),
        ("returned", "unpublish"),
    ],
)
def test_illegal_moves_are_refused(
    make_post: Any, cast: Any, editor: Any, status: str, move: str
) -> None:
    post = make_post(status)
    before = PostEvent.objects.filter(post=post).count()
    actor = {"submit": cast.village1, "edit": cast.village1}.get(move, cast.county)
    calls = {
        "approve": lambda: services.post_approve(actor=actor, post_id=post.pk),
        "return": lambda: services.post_return(actor=actor, post_id=post.pk, comment="改"),
        "reject": lambda: services.post_reject(actor=actor, post_id=post.pk, reason="不行"),
        "unpublish": lambda: services.post_unpublish(actor=actor, post_id=post.pk, reason="撤"),
        "submit": lambda: services.post_submit(actor=actor, post_id=post.pk, consent=True),
        "edit": lambda: services.post_update(actor=actor, post_id=post.pk, title="t", body="b"),
    }
    assert status not in TRANSITIONS[move][0]
    with pytest.raises(ConflictError) as err:
        calls[move]()
    assert err.value.code == "illegal_transition"
    post.refresh_from_db()
    assert post.status == status
    assert PostEvent.objects.filter(post=post).count() == before


def test_every_table_move_has_a_label() -> None:
    assert set(TRANSITIONS) == set(services.ACTION_LABELS)


def test_create_is_idempotent_by_key(cast: Any, tree: Any) -> None:
    first, created = services.post_create(
        actor=cast.village1, site=tree.village1, title="标题", body="正文", idempotency_key="k-1"
    )
    again, created_again = services.post_create(
        actor=cast.village1, site=tree.village1, title="标题", body="正文", idempotency_key="k-1"
    )
    assert created and not created_again and again.pk == first.pk
    assert ShowcasePost.objects.count() == 1
    with pytest.raises(ConflictError) as err:
        services.post_create(
            actor=cast.village1,
            site=tree.village1,
            title="另一篇",
            body="正文",
            idempotency_key="k-1",
        )
    assert err.value.code == "idempotency_key_reused"
