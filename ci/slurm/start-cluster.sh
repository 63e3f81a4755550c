#!/usr/bin/env bash
# Start a REAL single-node SLURM cluster for the sesame tests: Debian 12 packages (SLURM 22.05),
# run as root, no systemd, no cgroups, no containers. Adapted from the worked reference in
# ../shared/slurm-lab (tested there: cold install + start about 10 s).
#
#   usage:  bash ci/slurm/start-cluster.sh        stop: bash ci/slurm/stop-cluster.sh
#   env:    SLURM_LAB  state, logs, pid files, dummy GPU devices (default ${TMPDIR:-/tmp}/sesame-slurm)
#           FAKE_GPUS  number of dummy GPUs (default 2)    GPU_TYPE  GRES type name (default fake)
#           NODE_CPUS  CPUs the node advertises (default: the real count, at least 4)
#
# What the cluster looks like (it mirrors profiles/slurm, so the profile's mapping is exercised):
#   - one node: this machine, its memory from `slurmd -C`. It advertises at least 4 CPUs
#     (SlurmdParameters=config_overrides): the test jobs are short, mostly Python start-up and a
#     probe that sleeps into its time limit, and on a 2-core CI machine they would otherwise queue
#     one behind the other;
#   - a `gpu` GRES backed by dummy char devices $SLURM_LAB/dev/nvidiaN: --gpus=1 jobs schedule and
#     see CUDA_VISIBLE_DEVICES (there is of course no CUDA device behind it: code falls back to CPU);
#   - two partitions on that node: `cpu` (default) and `gpu`;
#   - no slurmdbd: `sacct` does not work, so the profile must poll with squeue. MinJobAge=300 keeps
#     finished jobs visible to squeue (the plugin needs >= 3x its initial status delay);
#   - KillWait=5: a job over its time limit is SIGKILLed 5 s after SIGTERM, so TIMEOUT tests are quick;
#   - job completions are logged to $SLURM_LAB/log/jobcomp.txt (jobcomp/filetxt), which the tests read.
#
# The config goes to SLURM's compiled-in default /etc/slurm/slurm.conf: the jobstep plugin strips
# SLURM_CONF before its nested `srun`, so a config elsewhere breaks every job ("Could not establish
# a configuration source"). A foreign slurm.conf (not written by this script) is never overwritten.
set -euo pipefail

LAB=${SLURM_LAB:-${TMPDIR:-/tmp}/sesame-slurm}
FAKE_GPUS=${FAKE_GPUS:-2}
GPU_TYPE=${GPU_TYPE:-fake}
CONF_DIR=/etc/slurm
MARK="# written by sesame ci/slurm/start-cluster.sh"
unset SLURM_CONF

if [ "$(id -u)" != 0 ]; then echo "start-cluster.sh: needs root" >&2; exit 1; fi

# 0. packages (idempotent; needs `apt-get update` once, which tests/slurm/run_with_cluster.sh does)
missing=""
for p in slurmctld slurmd slurm-client munge; do   # (`dpkg -s` also succeeds for removed packages)
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing="$missing $p"
done
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=180 "$@" >/dev/null
}
if [ -n "$missing" ]; then
  echo "installing:$missing"
  # a stale package list (404 on download) gets one `apt-get update` and a second try
  apt_install $missing || { apt-get update -q -o DPkg::Lock::Timeout=180 >/dev/null && apt_install $missing; }
fi

if [ -e "$CONF_DIR/slurm.conf" ] && ! grep -qF "$MARK" "$CONF_DIR/slurm.conf"; then
  echo "start-cluster.sh: refusing to overwrite a foreign $CONF_DIR/slurm.conf" >&2; exit 1
fi
for f in slurmctld slurmd; do
  if [ -s "$LAB/run/$f.pid" ] && kill -0 "$(cat "$LAB/run/$f.pid")" 2>/dev/null; then
    echo "start-cluster.sh: $f already running (pid file $LAB/run/$f.pid); run stop-cluster.sh" >&2; exit 1
  fi
done
mkdir -p "$CONF_DIR" "$LAB"/{state/ctld,state/d,log,run,dev}
chmod 755 "$LAB"
rm -f "$LAB/log/jobcomp.txt"

wait_for() {  # wait_for <tries of 0.2 s> <command...>
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "start-cluster.sh: timeout waiting for: $*" >&2; return 1
}

# 1. munge (SLURM's authentication). Started only if not already running; the marker file tells
#    stop-cluster.sh that this munged is ours to stop.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge && mungekey --create --keyfile=/etc/munge/munge.key
fi
chown -R munge:munge /etc/munge && chmod 700 /etc/munge && chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 755 /run/munge
install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
if ! (munge -n </dev/null | unmunge) >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  wait_for 50 test -S /run/munge/munge.socket.2
  touch "$LAB/run/munged.ours"
fi
(munge -n </dev/null | unmunge) >/dev/null   # fails loudly if munge is broken

NODE=$(hostname -s)

# 2. gres.conf with dummy GPU devices (same major/minor as /dev/null)
GRES_LINE=""; NODE_GRES=""
if [ "$FAKE_GPUS" -gt 0 ]; then
  for i in $(seq 0 $((FAKE_GPUS - 1))); do
    [ -e "$LAB/dev/nvidia$i" ] || mknod "$LAB/dev/nvidia$i" c 1 3
  done
  printf '%s\nAutoDetect=off\nNodeName=%s Name=gpu Type=%s File=%s/dev/nvidia[0-%d]\n' \
    "$MARK" "$NODE" "$GPU_TYPE" "$LAB" $((FAKE_GPUS - 1)) >"$CONF_DIR/gres.conf"
  GRES_LINE="GresTypes=gpu"; NODE_GRES="Gres=gpu:$GPU_TYPE:$FAKE_GPUS"
else
  rm -f "$CONF_DIR/gres.conf"
fi

# 3. slurm.conf: memory from the real hardware (slurmd -C), CPUs as advertised (see top)
NODE_HW=$(slurmd -C | head -1)          # NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105
REAL_CPUS=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$NODE_HW")
REAL_MEM=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$NODE_HW")
NODE_CPUS=${NODE_CPUS:-$(( REAL_CPUS > 4 ? REAL_CPUS : 4 ))}
cat >"$CONF_DIR/slurm.conf" <<EOF
$MARK
ClusterName=sesame-ci
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LAB/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=300
KillWait=5
OverTimeLimit=0
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$LAB/state/ctld
SlurmdSpoolDir=$LAB/state/d
SlurmctldPidFile=$LAB/run/slurmctld.pid
SlurmdPidFile=$LAB/run/slurmd.pid
SlurmctldLogFile=$LAB/log/slurmctld.log
SlurmdLogFile=$LAB/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
$GRES_LINE
SlurmdParameters=config_overrides
NodeName=$NODE CPUs=$NODE_CPUS RealMemory=$REAL_MEM NodeAddr=127.0.0.1 $NODE_GRES State=UNKNOWN
PartitionName=cpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$NODE Default=NO MaxTime=INFINITE State=UP
EOF

# 4. daemons (they daemonize and write their own pid files under $LAB/run)
slurmctld -c                           # -c: start with a clean job state
wait_for 150 bash -c 'scontrol ping | grep -q UP'
slurmd
wait_for 150 bash -c "sinfo -h -o %t | grep -qE '^(idle|mix|alloc)'"
sinfo
echo "SLURM up (config $CONF_DIR/slurm.conf, logs $LAB/log)"
