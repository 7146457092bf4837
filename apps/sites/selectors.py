"""Reads of the site tree."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Site, SiteLevel


def site_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Site]:
    """Public directory of sites, filtered by level, parent, subtree, active flag, name."""
    filters = filters or {}
    qs = Site.objects.select_related("parent").order_by("path")
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    if filters.get("parent"):
        qs = qs.filter(parent_id=filters["parent"])
    if filters.get("within"):
        root = Site.objects.filter(pk=filters["within"]).only("path").first()
        qs = qs.filter(path__startswith=root.path) if root else qs.none()
    if filters.get("active") is not None:
        qs = qs.filter(is_active=filters["active"])
    if filters.get("q"):
        qs = qs.filter(name__icontains=filters["q"])
    return qs


def village_choices() -> QuerySet[Site]:
    """Active village points for a resident to choose at registration, with townships."""
    return (
        Site.objects.filter(level=SiteLevel.VILLAGE, is_active=True)
        .select_related("parent")
        .order_by("path")
    )


def county_tree() -> list[dict[str, Any]]:
    """The whole active tree as nested dicts for the public directory page: one query."""
    sites = list(Site.objects.filter(is_active=True).order_by("path"))
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for site in sites:
        node = {"site": site, "children": []}
        nodes[site.pk] = node
        parent = nodes.get(site.parent_id) if site.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots
