"""gunicorn for the web service (docker-compose.yml: ``gunicorn -c deploy/gunicorn.conf.py``).

Threads (gthread, balanced): a request waiting on PostgreSQL or a slow upload ties up one thread,
not a process. Sizes come from the environment:

    WEB_WORKERS   processes          3   (about one per core, plus one)
    WEB_THREADS   threads each       4
    WEB_TIMEOUT   seconds a request may take before its worker is restarted   60
    WEB_BIND      listen address     0.0.0.0:8000
    WEB_MAX_REQUESTS  requests a worker serves before it is recycled   2000 (0: never)
    WEB_WORKER_CLASS  the worker   practice_portal.gunicorn_worker.BalancedThreadWorker

Requests are logged by the portal itself, one line each with its request id
(practice_portal/requestlog.py), so gunicorn's access log is off.
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
# gthread that takes a connection only while it has a thread free, so a burst is shared
# by every worker (practice_portal/gunicorn_worker.py); WEB_WORKER_CLASS=gthread: stock.
worker_class = os.environ.get(
    "WEB_WORKER_CLASS", "practice_portal.gunicorn_worker.BalancedThreadWorker"
)
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# nginx keeps idle connections to gunicorn open (upstream keepalive 16): keep them a
# little longer than nginx would wait, so nginx closes first.
keepalive = 75
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# Worker heartbeat files in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
