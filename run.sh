#!/usr/bin/env sh
# One entry point for a fresh machine (needs only Python >= 3.11 and pip):
#   ./run.sh nightly   build the demo city and run the nightly pipeline on it (real Airflow, dbt, DuckDB)
#   ./run.sh test      run the test suite
#   ./run.sh carbon ARGS...    the `carbon` command in the locked environment (e.g. ./run.sh carbon --help)
#   ./run.sh python ARGS...    Python of the locked environment (scripts, benchmarks, one-liners)
#   ./run.sh uv ARGS...        the uv this script uses (not put on PATH), e.g. ./run.sh uv run dbt --help
# Installs uv into .tools/ if it is not on PATH, then syncs the locked environment (uv.lock).
set -eu
cd "$(dirname "$0")"

if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  if [ ! -x .tools/bin/uv ]; then
    echo ">> uv not found: installing it into .tools/ with pip" >&2
    python3 -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check uv
  fi
  UV=.tools/bin/uv
fi

# --compile-bytecode: every Airflow task, dbt run and test process imports from .pyc instead of
# compiling its libraries from source (seconds per process where PYTHONDONTWRITEBYTECODE is set)
"$UV" sync --frozen --quiet --compile-bytecode

# the console's ECharts and Yancheng map from the npm registry (no CDN at run time); needs npm
./scripts/install_frontend.sh || echo ">> warning: console front-end assets not installed (needs npm)" >&2

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  nightly)
    "$UV" run carbon demo-data --scale tiny "$@"
    exec "$UV" run carbon nightly
    ;;
  test)
    # two workers on the two cores; a file's tests stay on one worker (shared fixtures); files
    # start in the order tests/conftest.py gives (longest first), not xdist's most-tests-first.
    # Bytecode on: the Airflow task and dbt processes a test starts then import the repo's own
    # modules from .pyc instead of compiling them each time (PYTHONDONTWRITEBYTECODE unset)
    unset PYTHONDONTWRITEBYTECODE
    exec "$UV" run pytest -n 2 --dist loadfile --no-loadscope-reorder "$@"
    ;;
  carbon|python)
    exec "$UV" run "$cmd" "$@"
    ;;
  uv)
    exec "$UV" "$@"
    ;;
  *)
    echo "usage: ./run.sh nightly|test|carbon|python|uv [args...]" >&2
    exit 2
    ;;
esac
