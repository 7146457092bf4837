"""The author hears of a return, a rejection, the publication and a withdrawal:
notifications written in the move's transaction (the outbox delivers them after
commit), one per event (the dedupe key names it)."""

from __future__ import annotations

from django.urls import reverse

from apps.accounts.models import RoleName, User
from apps.notifications.services import notify, notify_site_staff
from apps.sites.models import Site

from .models import PostEvent, PostStatus, ShowcasePost

KIND_OF = {
    "return": "showcase_returned",
    "reject": "showcase_rejected",
    "publish": "showcase_published",
    "unpublish": "showcase_unpublished",
}


def author_notify(post: ShowcasePost, event: PostEvent) -> None:
    kind = KIND_OF.get(event.action)
    if kind is None or post.created_by_id is None:
        return
    notify(
        users=[post.created_by_id],
        kind=kind,
        params={"post_id": post.pk, "title": post.title, "note": event.note},
        url=reverse("showcase:detail", args=[post.pk]),
        dedupe_key=f"showcase:event:{event.pk}",
    )


def reviewers_notify(post: ShowcasePost, event: PostEvent, step_site: Site | None) -> None:
    """The people of the step the post has reached: the township's or the county's
    staff (and their group robot), or the county's editors."""
    if step_site is None:
        return
    params = {"post_id": post.pk, "title": post.title, "site": post.site.name}
    url = reverse("showcase:detail", args=[post.pk])
    key = f"showcase:event:{event.pk}"
    if post.status == PostStatus.EDITOR_REVIEW:
        editors = User.objects.filter(
            roles__site=step_site, roles__role=RoleName.EDITOR, is_active=True
        ).values_list("pk", flat=True)
        notify(users=list(editors), kind="showcase_review", params=params, url=url, dedupe_key=key)
    else:
        notify_site_staff(
            site=step_site, kind="showcase_review", params=params, url=url, dedupe_key=key
        )
