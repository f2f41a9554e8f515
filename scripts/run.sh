#!/usr/bin/env bash
# `make run`: migrate, seed the demo data, then run the web server, a Celery worker and Celery beat
# together until Ctrl-C (or SIGTERM), which stops all three and everything they started.
#
# Without DATABASE_URL / CELERY_BROKER_URL it uses SQLite and a file-system broker under var/
# (or WATCHKEEPER_VAR_DIR); set them to run against PostgreSQL and Redis instead.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"

mkdir -p "${WATCHKEEPER_VAR_DIR:-var}"
"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py seed_demo

# Job control puts each child in its own process group, so one signal reaches a child and everything
# it forked (runserver's autoreloader child, the worker's pool processes). It also keeps the children
# from inheriting "ignore SIGINT", which bash otherwise gives background jobs of a script.
set -m
pids=()

groups_alive() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 -- "-$pid" 2>/dev/null; then return 0; fi
    done
    return 1
}

stop_all() {
    trap '' INT TERM  # a second Ctrl-C (or make forwarding the first) must not cut the clean-up short
    local pid
    # Each leader stops what it started: the worker its pool (warm shutdown), runserver its reloaded child.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 150); do  # up to 15 s
        groups_alive || break
        sleep 0.1
    done
    if groups_alive; then
        echo "run.sh: forcing the remaining processes to stop." >&2
        for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    fi
    wait 2>/dev/null || true
}
trap 'echo "run.sh: stopping…" >&2; stop_all; exit 130' INT
trap 'echo "run.sh: stopping…" >&2; stop_all; exit 143' TERM
trap stop_all EXIT

"$BIN/celery" -A config worker -l info --concurrency 2 &
pids+=("$!")
"$BIN/celery" -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler &
pids+=("$!")
"$BIN/python" manage.py runserver 127.0.0.1:8000 &
pids+=("$!")

echo "run.sh: web on http://127.0.0.1:8000/ (admin at /admin/), worker and beat running; Ctrl-C stops all." >&2
# If any of the three exits on its own, stop the others too rather than run half a system.
status=0
wait -n || status=$?
echo "run.sh: a process exited with status $status; stopping the others." >&2
exit "$status"
