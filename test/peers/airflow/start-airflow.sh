#!/usr/bin/env bash
# Starts a throwaway Airflow (SQLite, LocalExecutor on 3 / SequentialExecutor on 2, demo DAGs) on 127.0.0.1 and waits until it
# answers. Usage: start-airflow.sh <venv> <airflow_home> <port>. Prints nothing on success; the
# processes' pids go to <airflow_home>/pids and their output to <airflow_home>/*.log.
# MESHWATCH_AIRFLOW_DAGS picks another DAG folder (fixtures/airflow/3.3/record.ts).
# User admin / password admin (SimpleAuthManager on Airflow 3, FAB basic auth on Airflow 2).
set -euo pipefail
venv="$1" home="$2" port="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
mkdir -p "$home"
major="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("apache-airflow")[0])')"

export AIRFLOW_HOME="$home"
export AIRFLOW__CORE__DAGS_FOLDER="${MESHWATCH_AIRFLOW_DAGS:-$root/fixtures/airflow/dags}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=2
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$home/airflow.db"
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$home/logs"
export AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=1
export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=5
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5
export AIRFLOW__OPENLINEAGE__TRANSPORT="{\"type\": \"file\", \"log_file_path\": \"$home/openlineage.jsonl\", \"append\": true}"
export MESHWATCH_DBT_BIN="${MESHWATCH_DBT_BIN:-$root/.venv/bin/dbt}"
export MESHWATCH_DBT_TARGET="$home/dbt-target"
export MESHWATCH_DUCKDB="$home/mesh.duckdb"
export PYTHONWARNINGS=ignore
# executors spawn `airflow tasks run` through PATH
export PATH="$venv/bin:$PATH"

start() { # name, command...
  local name="$1"; shift
  # own process group, so the harness can stop each component with its workers
  setsid nohup "$@" >"$home/$name.log" 2>&1 &
  echo $! >>"$home/pids"
}

: >"$home/pids"
if [[ "$major" == "3" ]]; then
  export AIRFLOW__CORE__EXECUTOR=LocalExecutor
  export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$home/passwords.json"
  export AIRFLOW__API__PORT="$port"
  export AIRFLOW__API__HOST=127.0.0.1
  export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
  export AIRFLOW__API_AUTH__JWT_SECRET="meshwatch-test-only-secret"
  echo '{"admin": "admin"}' >"$home/passwords.json"
  "$venv/bin/airflow" db migrate >"$home/migrate.log" 2>&1
  start api-server "$venv/bin/airflow" api-server --host 127.0.0.1 --port "$port"
  start scheduler "$venv/bin/airflow" scheduler
  start dag-processor "$venv/bin/airflow" dag-processor
  start triggerer "$venv/bin/airflow" triggerer
  probe="http://127.0.0.1:$port/api/v2/monitor/health"
else
  # Airflow 2 refuses LocalExecutor on SQLite
  export AIRFLOW__CORE__EXECUTOR=SequentialExecutor
  export AIRFLOW__API__AUTH_BACKENDS=airflow.providers.fab.auth_manager.api.auth.backend.basic_auth
  export AIRFLOW__WEBSERVER__WEB_SERVER_PORT="$port"
  export AIRFLOW__WEBSERVER__SECRET_KEY="meshwatch-test-only-secret"
  "$venv/bin/airflow" db migrate >"$home/migrate.log" 2>&1
  "$venv/bin/airflow" users create --username admin --password admin --role Admin \
    --firstname a --lastname b --email admin@example.invalid >>"$home/migrate.log" 2>&1
  start webserver "$venv/bin/airflow" webserver --hostname 127.0.0.1 --port "$port" --workers 1
  start scheduler "$venv/bin/airflow" scheduler
  probe="http://127.0.0.1:$port/health"
fi

for _ in $(seq 1 180); do
  if curl -fsS "$probe" >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "start-airflow.sh: Airflow did not answer $probe within 180s; see $home/*.log" >&2
exit 1
