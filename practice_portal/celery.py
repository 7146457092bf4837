"""Celery application. Settings come from Django settings with the CELERY_ prefix.

Worker and beat log through Django's ``LOGGING`` (stdout, one format), not Celery's
own setup, and every task writes one line when it ends: name, id, duration, state.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice_portal.settings")

app = Celery("practice_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger("portal.task")
# task id → (start time, the request id token to restore: an eager task runs inside
# the request that enqueued it, whose id must come back afterwards)
_started: dict[str, tuple[float, Any]] = {}


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """Connected, so Celery leaves logging alone: Django's LOGGING applies."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        from .requestlog import request_id_var

        # The task's log records carry its id.
        _started[task_id] = (time.monotonic(), request_id_var.set(task_id))


@task_postrun.connect
def _task_ended(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started, token = _started.pop(task_id or "", (None, None))
    duration = (time.monotonic() - started) * 1000 if started is not None else -1.0
    log.info(
        "task name=%s id=%s duration_ms=%.1f state=%s",
        getattr(task, "name", "?"),
        task_id,
        duration,
        state,
    )
    if token is not None:
        from .requestlog import request_id_var

        request_id_var.reset(token)
