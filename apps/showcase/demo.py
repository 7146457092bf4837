"""Demo showcase posts (晒成果): published ones at a village, a township and the county
over the last months (they fill the public pages, the feeds and the reports), one
about the finished activity, and one in each other state of the review chain (at the
township, at the county, at the editor, returned, rejected, withdrawn, a draft). Made
through the services, so every post has its review trail; photos are drawn here.
Idempotent: a post already there (by site and title) is left as it is."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from apps.activities.models import Activity, ActivityStatus

from . import services
from .models import ShowcasePost

COLOURS = [(196, 43, 28), (230, 145, 56), (60, 120, 80), (40, 90, 160), (150, 60, 130)]


def _photo(i: int) -> SimpleUploadedFile:
    """A plain drawn picture (a demo has no real photos of real people)."""
    img = Image.new("RGB", (1200, 900), COLOURS[i % len(COLOURS)])
    draw = ImageDraw.Draw(img)
    for k in range(6):
        draw.ellipse(
            (100 + k * 160, 500 - k * 40, 260 + k * 160, 660 - k * 40), fill=(255, 240, 200)
        )
    draw.rectangle((0, 760, 1200, 900), fill=(250, 250, 245))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{i}.jpg", out.getvalue(), content_type="image/jpeg")


# (author, site key, title, body, photos, target state, days ago published)
POSTS: list[tuple[str, str, str, str, int, str, int]] = [
    (
        "village1",
        "village1",
        "东关社区楼道清理，还居民整洁家园",
        "10 名志愿者用一个上午清理了 6 栋楼的楼道堆物，运走杂物两车。\n\n住在 3 号楼的刘大爷说：“楼道亮堂了，晚上走路也放心。”",
        3,
        "published",
        70,
    ),
    (
        "town1",
        "town1",
        "城关镇“法治宣传月”普法讲座进村",
        "镇司法所和志愿者走进 5 个村，讲解防诈骗、婚姻家庭和土地承包法律知识，发放资料 800 份。",
        2,
        "published",
        40,
    ),
    (
        "county",
        "county",
        "全县学雷锋志愿服务月启动",
        "县新时代文明实践中心组织 29 个实践所同步启动学雷锋志愿服务月，首日开展服务 120 场。",
        2,
        "published",
        20,
    ),
    (
        "village1",
        "village1",
        "义诊进社区，老人家门口量血压",
        "县医院 6 名医生在东关社区活动室义诊，为 86 位老人测血压、血糖，讲解冬季保健。",
        2,
        "published",
        5,
    ),
    (
        "village1",
        "village1",
        "冬季安全检查走访独居老人",
        "志愿者入户检查燃气和电线，为 15 户独居老人更换了老化插座。",
        1,
        "township_review",
        0,
    ),
    (
        "village1",
        "village1",
        "社区图书角开放，孩子们有了读书的地方",
        "图书角收到捐书 300 册，周末由大学生志愿者值守。",
        2,
        "county_review",
        0,
    ),
    (
        "town1",
        "town1",
        "城关镇文艺小分队送戏下乡",
        "文艺小分队在 3 个村演出 6 场，观众 900 余人次。",
        1,
        "editor_review",
        0,
    ),
    ("village1", "village1", "包饺子迎冬至", "社区志愿者和老人一起包饺子。", 1, "returned", 0),
    ("village1", "village1", "广场舞比赛", "社区广场舞比赛圆满结束。", 0, "rejected", 0),
    ("village1", "village1", "环境整治回头看", "整治后的楼道保持得很好。", 1, "unpublished", 30),
    ("village1", "village1", "（草稿）重阳节活动照片整理中", "待补充文字。", 0, "draft", 0),
]


def seed(ctx: dict[str, Any], log: Any) -> None:
    users = ctx["users"]
    sites = {
        "county": ctx["county"],
        "town1": ctx["townships"][0],
        "village1": ctx["villages"][0][0],
    }
    editor = users["editor"]
    chain = {
        "village1": [users["town1"], users["county"], editor],
        "town1": [users["county"], editor],
        "county": [editor],
    }
    made = 0
    now = timezone.now()
    for n, (author, site_key, title, body, photos, target, days_ago) in enumerate(POSTS):
        site = sites[site_key]
        if ShowcasePost.objects.filter(site=site, title=title).exists():
            continue
        post, _created = services.post_create(
            actor=users[author],
            site=site,
            title=title,
            body=body,
            photos=[_photo(n + k) for k in range(photos)],
        )
        _advance(post, target, users[author], chain[site_key], editor)
        if days_ago:
            ShowcasePost.objects.filter(pk=post.pk).update(
                published_at=now - dt.timedelta(days=days_ago, hours=n)
            )
        made += 1
    made += _about_the_finished_activity(users, sites["village1"], chain["village1"])
    log(
        f"晒成果：新建稿件 {made} 篇（已发布 {ShowcasePost.objects.filter(status='published').count()} 篇）"
    )


def _advance(
    post: ShowcasePost, target: str, author: Any, reviewers: list[Any], editor: Any
) -> None:
    if target == "draft":
        return
    services.post_submit(actor=author, post_id=post.pk, consent=True)
    if target == "returned":
        services.post_return(
            actor=reviewers[0],
            post_id=post.pk,
            comment="请补充参加人数，并换一张不含孩子正脸的照片。",
        )
        return
    if target == "rejected":
        services.post_reject(
            actor=reviewers[0], post_id=post.pk, reason="与本月主题和志愿服务无关。"
        )
        return
    stop = {"township_review": 0, "county_review": 1, "editor_review": 2}
    steps = (
        len(reviewers)
        if target in ("published", "unpublished")
        else stop[target] - (3 - len(reviewers))
    )
    for reviewer in reviewers[: max(steps, 0)]:
        services.post_approve(actor=reviewer, post_id=post.pk)
    if target == "unpublished":
        services.post_unpublish(actor=editor, post_id=post.pk, reason="照片中的居民要求撤下。")


def _about_the_finished_activity(users: dict[str, Any], village: Any, reviewers: list[Any]) -> int:
    activity = (
        Activity.objects.filter(site=village, status=ActivityStatus.FINISHED)
        .order_by("-starts_at")
        .first()
    )
    if activity is None or ShowcasePost.objects.filter(activity=activity).exists():
        return 0
    post, _created = services.post_create(
        actor=users["village1"],
        site=None,
        title=f"{activity.title}：老人们过了一个热闹的节",
        body="志愿者陪老人聊天、理发、包饺子，三位志愿者服务近 9 小时。",
        activity_id=activity.pk,
        photos=[_photo(7)],
    )
    _advance(post, "published", users["village1"], reviewers, reviewers[-1])
    return 1
