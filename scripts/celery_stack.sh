#!/usr/bin/env bash
# The project's DAGs on Airflow's CeleryExecutor, on 127.0.0.1 (docs/distributed.md).
#   scripts/celery_stack.sh start|stop|status [--dir DIR] [--home HOME] [--workers N] [--no-schedule]
#   scripts/celery_stack.sh trigger DAG_ID [--conf JSON] [--wait]
# Needs scripts/services.sh start first (PostgreSQL 55432, Redis 56379). DIR (default
# data/celery/, or CARBON_CELERY_DIR) holds the stack's own Airflow home, pid files and logs;
# HOME is the data home its tasks work on (default CARBON_HOME, else data/).
set -eu
cd "$(dirname "$0")/.."
if command -v uv >/dev/null 2>&1; then UV=uv; else UV=.tools/bin/uv; fi
exec "$UV" run --frozen python -m carbon.orchestration.celery_stack "$@"
