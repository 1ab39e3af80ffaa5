#!/usr/bin/env bash
# A one-node SLURM cluster on loopback for tests/scaleout/test_slurm.py.
#
#   slurm_cluster.sh start DIR   install slurm-wlm + munge (Debian) when missing, write a
#                                munge key and slurm.conf into DIR, start munged, slurmctld
#                                and slurmd (NodeName=localhost with this machine's CPUs and
#                                memory, no GRES: CI has no GPU) and wait until the node is idle
#   slurm_cluster.sh stop DIR    stop the three daemons started from DIR
#   slurm_cluster.sh run DIR CMD...  start, run CMD with SLURM_CONF and CIFARLAB_SLURM_DIR
#                                set, and stop the daemons whatever happens (trap on EXIT)
#
# Everything the cluster writes stays in DIR. Clients find it through SLURM_CONF=DIR/slurm.conf
# and, because snakemake-executor-plugin-slurm deletes every SLURM_* variable before it runs
# sbatch/srun, through a symlink /etc/slurm/slurm.conf -> DIR/slurm.conf, made only where no
# slurm.conf exists (a real cluster's is never touched) and removed by `stop`.
# Exit 77 (with the reason on stderr) when the cluster cannot be had here: not root, no apt.
set -euo pipefail
cmd=${1:?usage: slurm_cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: slurm_cluster.sh start|stop DIR}")

stop() {
    for name in slurmd slurmctld munged; do
        pidfile="$dir/$name.pid"
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$pidfile"
    done
    if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$dir/slurm.conf" ]; then
        rm -f /etc/slurm/slurm.conf
    fi
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
if [ "$cmd" = run ]; then
    shift 2
    trap 'stop' EXIT
    trap 'exit 143' TERM INT  # still runs the EXIT trap (a CI timeout sends TERM)
    code=0
    "$0" start "$dir" || code=$?
    [ "$code" = 0 ] || exit "$code"
    SLURM_CONF="$dir/slurm.conf" CIFARLAB_SLURM_DIR="$dir" "$@"
    exit $?
fi
[ "$cmd" = start ] || { echo "usage: slurm_cluster.sh start|stop|run DIR [CMD...]" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if ! command -v apt-get >/dev/null; then echo "skip: no apt-get to install slurm-wlm and munge" >&2; exit 77; fi
    if [ "$(id -u)" != 0 ]; then echo "skip: installing slurm-wlm and munge needs root" >&2; exit 77; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
if [ "$(id -u)" != 0 ]; then echo "skip: slurmd must run as root" >&2; exit 77; fi

if [ -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
    echo "skip: /etc/slurm/slurm.conf exists (a real SLURM set-up): not replacing it" >&2; exit 77
fi
mkdir -p "$dir"/{state,spool,log}
trap 'stop' ERR  # a failed start leaves no daemon behind

# munge: a key and a socket of our own, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
chmod 0400 "$dir/munge.key"
munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
node=$(slurmd -C | head -1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
cat > "$dir/slurm.conf" <<CONF
ClusterName=cifarlab-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue for 10 minutes (the executor's status queries).
MinJobAge=600
SlurmdTimeout=60
# scancel: SIGTERM, then SIGKILL after 5 s (not 30).
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
mkdir -p /etc/slurm
ln -s "$dir/slurm.conf" /etc/slurm/slurm.conf
slurmctld
slurmd -N localhost
for _ in $(seq 120); do
    state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
    [ "$state" = idle ] && { echo "slurm: node localhost idle ($cpus CPUs, $mem MB); SLURM_CONF=$SLURM_CONF"; exit 0; }
    sleep 0.5
done
echo "slurm: node did not become idle (state '${state:-?}'); see $dir/log" >&2
exit 1
