# Two images from one build (docker-compose.yml picks them by target):
#   app    Python: web (gunicorn), worker, beat and the one-shot migrate
#   proxy  nginx with the collected static files and deploy/nginx/portal.conf.template
#
# Dependencies come from the lock file with hashes (requirements/prod.txt; README says
# how to refresh it), so two builds a week apart install the same programs.

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/prod.txt requirements/prod.txt
RUN pip install --require-hashes --no-deps -r requirements/prod.txt
COPY . .
# Static files are built into the image (hashed, compressed names); the key is a
# placeholder that only this step sees.
RUN DJANGO_ENV=production SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 portal && mkdir -p /app/media && chown -R portal /app/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "practice_portal.wsgi:application"]

FROM nginx:1.26-alpine AS proxy
RUN apk add --no-cache curl && rm -f /etc/nginx/conf.d/default.conf
COPY --from=app /app/staticfiles /srv/static
COPY deploy/nginx/portal.conf.template /etc/nginx/templates/portal.conf.template
