"""Shared plumbing every app uses, below ``apps.sites`` in the layering (it imports no app):

- ``errors``: the domain errors services raise (``DomainError`` and its kinds);
- ``api``: how an error becomes problem JSON, pagination, the 404 handler;
- ``uploads``: cleaning uploaded images (checked, re-encoded, EXIF stripped, thumbnails);
- ``pages``: helpers for server-rendered pages (pagination, service errors onto forms).
"""
