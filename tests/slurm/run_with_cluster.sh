#!/usr/bin/env bash
# Run a command (the test suite) with a real single-node SLURM cluster up, and always stop it.
#
#   usage: bash tests/slurm/run_with_cluster.sh <cmd...>        (this is what `make test` runs)
#
# As root on Debian, and unless SESAME_SKIP_SLURM is set: `apt-get update` if the package lists are
# missing, ci/slurm/start-cluster.sh, then <cmd> with SESAME_SLURM=1 and SLURM_LAB exported (the
# tests under tests/slurm/ run against the cluster), then ci/slurm/stop-cluster.sh, on every exit
# path (success, failure, Ctrl-C, SIGTERM). Anywhere else <cmd> runs with SESAME_SLURM unset, and the
# SLURM tests skip with the reason. The exit status is <cmd>'s; a cluster that fails to start is an
# error (exit 1), never a silent skip.
#
# Every step is bounded with `timeout -k` (snakemake ignores a plain SIGTERM while it waits on jobs):
#   SESAME_TEST_TIMEOUT  seconds for <cmd> (default 1800)
#   SLURM_LAB            cluster state/logs (default ${TMPDIR:-/tmp}/sesame-slurm); on failure its
#                        logs are copied to test-artifacts/slurm-logs/ for CI.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_TIMEOUT=${SESAME_TEST_TIMEOUT:-1800}
[ $# -gt 0 ] || { echo "usage: $0 <cmd...>" >&2; exit 2; }

reason=""
if [ -n "${SESAME_SKIP_SLURM:-}" ]; then reason="SESAME_SKIP_SLURM is set"
elif [ "$(id -u)" != 0 ]; then reason="not root"
elif [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null; then reason="not Debian"
fi
if [ -n "$reason" ]; then
  echo "run_with_cluster: no SLURM cluster ($reason); the tests marked slurm will skip"
  unset SESAME_SLURM
  exec timeout -k 30 "$TEST_TIMEOUT" "$@"
fi

export SLURM_LAB=${SLURM_LAB:-${TMPDIR:-/tmp}/sesame-slurm}
mkdir -p "$SLURM_LAB"
# One cluster per machine (fixed ports, /etc/slurm): serialise concurrent runs (the lock is fd 9,
# closed for the daemons and <cmd> so that only this script holds it).
exec 9>"$SLURM_LAB.lock"
if ! timeout 1200 flock 9; then echo "run_with_cluster: another run holds $SLURM_LAB.lock" >&2; exit 1; fi

child=""
rc=0
cleanup() {
  trap - EXIT INT TERM
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
  timeout -k 5 90 bash "$ROOT/ci/slurm/stop-cluster.sh" || echo "run_with_cluster: stop-cluster.sh failed" >&2
  if [ "$rc" != 0 ] && [ -d "$SLURM_LAB/log" ]; then
    mkdir -p "$ROOT/test-artifacts/slurm-logs" && cp -r "$SLURM_LAB/log/." "$ROOT/test-artifacts/slurm-logs/" 2>/dev/null
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'rc=130; exit' INT
trap 'rc=143; exit' TERM

t0=$(date +%s)
installed=$(dpkg-query -W -f='${Status}\n' slurmctld slurmd slurm-client munge 2>/dev/null | grep -c '^install ok installed$')
if [ "$installed" != 4 ] && [ -z "$(find /var/lib/apt/lists -name '*Packages*' -print -quit 2>/dev/null)" ]; then
  timeout -k 10 300 apt-get update -q -o DPkg::Lock::Timeout=180 >/dev/null || { echo "run_with_cluster: apt-get update failed" >&2; rc=1; exit; }
fi
if ! timeout -k 10 300 bash "$ROOT/ci/slurm/start-cluster.sh" 9>&-; then
  echo "run_with_cluster: the SLURM cluster did not start (logs in $SLURM_LAB/log)" >&2
  rc=1; exit
fi
echo "run_with_cluster: SLURM up in $(( $(date +%s) - t0 )) s"

export SESAME_SLURM=1
# In the background so that INT/TERM reach the traps at once; timeout forwards TERM to <cmd>.
timeout -k 30 "$TEST_TIMEOUT" "$@" 9>&- &
child=$!
wait "$child"
rc=$?
child=""
exit "$rc"
