"""Showcase (晒成果) with review (内容把关): posts with photos that a site's staff write
about an activity or an order, reviewed up the site tree (township, county) and given
final approval by the county media center's editors before they go public; the public
pages, the JSON Feed / RSS feeds and the signed webhook the media center's app reads.

Layering: above ``activities`` and ``orders`` (a post may report on either, and their
pages show a post's panel through ``apps.core.panels``), below ``points`` and
``reports`` (reports count posts published per site and month).
"""
