"""Who hears what: the reviewers of the step a post reaches (township or county staff,
the county's editors), and the author of a return, a rejection, the publication and a
withdrawal; once per event, in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from apps.notifications.models import Notification
from apps.showcase import services

pytestmark = pytest.mark.django_db


def _kinds(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


def test_reviewers_and_author_hear(make_post: Any, cast: Any, editor: Any) -> None:
    post = make_post("published")
    assert _kinds(cast.town1) == ["showcase_review"]
    assert _kinds(cast.county) == ["showcase_review"]
    assert _kinds(editor) == ["showcase_review"]
    assert _kinds(cast.village1) == ["showcase_published"]
    assert _kinds(cast.town2) == []
    services.post_unpublish(actor=editor, post_id=post.pk, reason="当事人要求撤下")
    note = Notification.objects.filter(user=cast.village1).latest("id")
    assert note.kind == "showcase_unpublished" and "当事人要求撤下" in note.display_body
    with translation.override("en"):
        assert "withdrawn" in note.render().body


def test_author_hears_a_return_and_a_rejection(make_post: Any, cast: Any) -> None:
    make_post("returned")
    make_post("rejected", title="第二篇")
    assert _kinds(cast.village1) == ["showcase_returned", "showcase_rejected"]
    returned = Notification.objects.filter(user=cast.village1, kind="showcase_returned").get()
    assert "请补充照片说明" in returned.display_body
