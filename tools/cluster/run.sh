#!/usr/bin/env bash
# revise on a real Ray cluster: starts a head and two worker nodes on 127.0.0.1 (own ports, a small
# object store, a custom resource naming each worker node), runs tools/cluster/suite.py against
# them, and stops exactly the processes it started, whatever happens.
#   tools/cluster/run.sh                 # everything (a few minutes on 2 cores)
#   tools/cluster/run.sh --only kill     # the checks whose name matches
# The venv is ${REVISE_CLUSTER_VENV:-<repo>/target/cluster-venv}; scratch goes to <repo>/target/cluster.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${REVISE_CLUSTER_VENV:-$REPO/target/cluster-venv}"
WORK="$REPO/target/cluster"
die() { echo "cluster: $*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is missing (Python 3.10 or newer)"
command -v java >/dev/null || die "java is missing (JDK 17)"
if [[ ! -x "$VENV/bin/ray" ]]; then
  echo "cluster: creating the venv $VENV" >&2
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install -q --retries 0 -r "$HERE/requirements.txt" \
    || die "pip install -r tools/cluster/requirements.txt failed: the suite needs ray==2.58.0 from PyPI"
fi
export PATH="$VENV/bin:$PATH"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
# Ray's own temp dir must be short (unix socket paths are limited to ~107 bytes)
RAY_TMP="$(mktemp -d /tmp/revise-cluster.XXXXXX)"
rm -rf "$WORK" && mkdir -p "$WORK"

# Every process of this cluster has RAY_TMP on its command line: that is how they are found, and
# only they are stopped (never a broad 'ray stop' on a shared machine).
cluster_pids() { pgrep -f -- "$RAY_TMP" || true; }
stop_cluster() {
  # Ray's own logs, for a failed check: the session dir goes with the cluster
  cp -r "$RAY_TMP/session_latest/logs" "$WORK/ray-logs" 2>/dev/null || true
  pids="$(cluster_pids)"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    sleep 2
    pids="$(cluster_pids)"
    # shellcheck disable=SC2086
    [[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
  fi
  rm -rf "$RAY_TMP"
}
trap stop_cluster EXIT INT TERM

PORT="${REVISE_CLUSTER_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
start() { ray start "$@" --temp-dir="$RAY_TMP" --object-store-memory=100000000 --disable-usage-stats >"$WORK/ray-start.log" 2>&1 \
  || { cat "$WORK/ray-start.log" >&2; die "ray start $* failed"; }; }
# The head schedules nothing (0 CPUs); each worker node offers 'worker_node' once, so two actors
# asking for it land one per node, and its own name (node_a, node_b) for the node checks.
# Each worker node has its own loopback address, as machines of a real cluster have their own IPs:
# the head registers under this machine's address, which is where a driver here attaches (Ray
# picks the raylet whose address is the driver's), so actors never share the driver's node.
start --head --port="$PORT" --num-cpus=0 --include-dashboard=false --node-ip-address=127.0.0.1
start --address="127.0.0.1:$PORT" --num-cpus=2 --resources='{"worker_node": 1, "node_a": 1}' --node-ip-address=127.0.0.2
start --address="127.0.0.1:$PORT" --num-cpus=2 --resources='{"worker_node": 1, "node_b": 1}' --node-ip-address=127.0.0.3
echo "cluster: head 127.0.0.1:$PORT and two worker nodes up ($(cluster_pids | wc -l) processes)" >&2

"$VENV/bin/python" "$HERE/suite.py" --address "127.0.0.1:$PORT" --ray-tmp "$RAY_TMP" --work "$WORK" "$@"
