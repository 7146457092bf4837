"""Settings for the HTTP benchmark's servers: the product's settings (production when
``DJANGO_ENV=production``), with the benchmark's URLconf on top (``bench_urls``: the
lean comparison views, then every product URL unchanged). Never used by the product."""

from practice_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"

# The product's manifest storage cannot collect the vendored Chart.js today (its
# ``sourceMappingURL`` names a file that is not shipped), so the benchmark serves the
# same files from whitenoise's storage without the manifest (unhashed names).
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
