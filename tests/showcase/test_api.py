"""The showcase API: a post from draft to published through /api/v1/showcase/posts/,
the Idempotency-Key on create, photo upload, problem answers for illegal moves and
the wrong reviewer, scoping, and the public list without login."""

from __future__ import annotations

from typing import Any

import pytest

from apps.showcase.models import ShowcasePost

from .conftest import finished_activity, jpeg_with_gps

pytestmark = pytest.mark.django_db
BASE = "/api/v1/showcase/posts/"


def test_draft_to_published_through_the_api(
    api_as: Any, cast: Any, tree: Any, editor: Any, api: Any
) -> None:
    author = api_as(cast.village1)
    body = {"site": tree.village1.pk, "title": "接口稿件", "body": "正文"}
    first = author.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert first.status_code == 201, first.json()
    again = author.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert ShowcasePost.objects.count() == 1
    pk = first.json()["id"]
    upload = author.post(
        f"{BASE}{pk}/photos/", {"photo": jpeg_with_gps(800, 600)}, format="multipart"
    )
    assert upload.status_code == 201 and len(upload.json()["photos"]) == 1
    refused = author.post(f"{BASE}{pk}/submit/", {"consent": False}, format="json")
    assert refused.status_code == 400
    assert (
        author.post(f"{BASE}{pk}/submit/", {"consent": True}, format="json").json()["status"]
        == "township_review"
    )
    for reviewer, expected in (
        (cast.town1, "county_review"),
        (cast.county, "editor_review"),
        (editor, "published"),
    ):
        response = api_as(reviewer).post(f"{BASE}{pk}/approve/", {}, format="json")
        assert response.status_code == 200 and response.json()["status"] == expected
    public = api.get("/api/v1/showcase/published/")
    assert public.status_code == 200 and [p["id"] for p in public.json()["results"]] == [pk]
    events = author.get(f"{BASE}{pk}/events/").json()["results"]
    assert [e["action"] for e in events] == [
        "create",
        "add_photo",
        "submit",
        "approve",
        "approve",
        "publish",
    ]
    withdrawn = api_as(editor).post(f"{BASE}{pk}/unpublish/", {"reason": "撤"}, format="json")
    assert withdrawn.json()["status"] == "unpublished"
    assert api.get("/api/v1/showcase/published/").json()["results"] == []


def test_problem_answers(api_as: Any, make_post: Any, cast: Any, editor: Any) -> None:
    post = make_post("township_review")
    wrong_step = api_as(editor).post(f"{BASE}{post.pk}/approve/", {}, format="json")
    assert wrong_step.status_code == 403 and wrong_step.json()["code"] == "not_your_review"
    not_yours = api_as(cast.town2).post(f"{BASE}{post.pk}/approve/", {}, format="json")
    assert not_yours.status_code == 404
    illegal = api_as(cast.village1).post(
        f"{BASE}{post.pk}/submit/", {"consent": True}, format="json"
    )
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    returned = api_as(cast.town1).post(f"{BASE}{post.pk}/return/", {"comment": "改"}, format="json")
    assert returned.json()["status"] == "returned" and returned.json()["review_comment"] == "改"
    assert api_as(cast.town2).get(f"{BASE}{post.pk}/").status_code == 404


def test_lists_are_scoped(
    api_as: Any, make_post: Any, cast: Any, editor: Any, editor2: Any
) -> None:
    draft = make_post("draft", title="草稿")
    waiting = make_post("editor_review", title="待终审")

    def titles(user: Any, query: str = "") -> set[str]:
        return {p["title"] for p in api_as(user).get(f"{BASE}{query}").json()["results"]}

    assert titles(cast.village1) == {"草稿", "待终审"}
    assert titles(cast.town2) == set()
    assert titles(editor) == {"待终审"}  # drafts are the sites' own
    assert titles(editor, "?queue=true") == {"待终审"}
    assert titles(cast.county, "?queue=true") == set()
    assert titles(editor2) == set()
    assert titles(cast.village1, "?status=draft") == {"草稿"}
    assert api_as(cast.village1).get(f"{BASE}?status=nope").status_code == 400
    assert draft and waiting


def test_from_a_finished_activity(api_as: Any, cast: Any, tree: Any) -> None:
    activity = finished_activity(cast, tree)
    response = api_as(cast.village1).post(
        BASE, {"title": "活动成果", "body": "正文", "activity": activity.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["activity"] == activity.pk
    other = api_as(cast.town2).post(
        BASE, {"title": "x", "body": "y", "activity": activity.pk}, format="json"
    )
    assert other.status_code == 404


def test_anonymous_cannot_write(api: Any, make_post: Any) -> None:
    post = make_post("draft")
    assert api.get(BASE).status_code in (401, 403)
    assert api.post(f"{BASE}{post.pk}/submit/", {"consent": True}, format="json").status_code in (
        401,
        403,
    )
