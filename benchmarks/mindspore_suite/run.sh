#!/bin/bash
# run.sh ms|gs DIR [pytest args]: run MindSpore test files in DIR (copied from MindSpore's public repo into a
# folder outside this one; see README.md) with MindSpore itself (MS_PYTHON, a venv with mindspore and pytest)
# or with gradserve through the rename-only shim against a real server on PORT (started here if none answers).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mode=$1; dir=$2; shift 2
cp "$HERE/conftest.py" "$HERE/pytest.ini" "$dir/"
cd "$dir"
if [ "$mode" = ms ]; then
  exec "${MS_PYTHON:?set MS_PYTHON to a python with mindspore and pytest}" -m pytest -q -p no:randomly \
    --continue-on-collection-errors --junitxml="${XML:-$dir/ms.xml}" "$@"
fi
PY=${PY:-$ROOT/.venv/bin/python}
PORT=${PORT:-18777}
export PYTHONPATH=$ROOT:$ROOT/clients/python
if ! curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/health/ready"; then
  GRADSERVE_PORT=$PORT GRADSERVE_GRPC_PORT=$((PORT+1)) GRADSERVE_DEVICES=cpu nohup "$PY" -m service.cli \
    >"/tmp/gradserve_ms_suite_$PORT.log" 2>&1 &
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/health/ready" && break; sleep 0.3; done
fi
export GRADSERVE_SERVER=http://127.0.0.1:$PORT GS_SHIM=1
exec "$PY" -m pytest -q -p no:randomly --continue-on-collection-errors --junitxml="${XML:-$dir/gs.xml}" "$@"
