#!/usr/bin/env bash
# Stop what ci/slurm/start-cluster.sh started, by pid file, never by process name.
# munged is stopped only if start-cluster.sh started it (marker file). Safe to run twice.
set -uo pipefail
LAB=${SLURM_LAB:-${TMPDIR:-/tmp}/sesame-slurm}
stop_pidfile() {
  local f=$1 pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$f"
}
# cancel leftover jobs first so slurmd does not leave orphans
if [ -s "$LAB/run/slurmctld.pid" ] && command -v scancel >/dev/null; then
  timeout 10 scancel --user="$(id -un)" 2>/dev/null
  for _ in $(seq 75); do   # up to 15 s for running/completing jobs to end (KillWait=5)
    [ -z "$(timeout 5 squeue -h -t RUNNING,COMPLETING,CONFIGURING -o %i 2>/dev/null)" ] && break; sleep 0.2
  done
fi
stop_pidfile "$LAB/run/slurmd.pid"
stop_pidfile "$LAB/run/slurmctld.pid"
if [ -e "$LAB/run/munged.ours" ]; then
  stop_pidfile /run/munge/munged.pid
  rm -f "$LAB/run/munged.ours"
fi
echo "SLURM stopped"
