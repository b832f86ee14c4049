#!/usr/bin/env bash
# A single-node Slurm cluster from Debian's packages (slurmctld, slurmd and
# munge of slurm-wlm 22.05): one node with this machine's CPUs, no cgroup
# plugins, loopback only. It submits a sweep of 4 tiny trainings through
# `zoo sweep submit`, requeues one running task (Slurm sends it SIGTERM;
# zoo saves its checkpoint and the requeued task resumes it), waits for the
# array, and checks that `zoo sweep collect` gives exactly the numbers of
# the local runner (`zoo sweep run`) for the same spec.
#
# Usage: bash .ci/slurm.sh   (as root; installs the packages if missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

log() { echo "slurm.sh: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurmctld slurmd munge >/dev/null
fi

work=$(mktemp -d /tmp/zoo-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# munge: its own key, socket and logs under $work.
mkdir -p "$work/munge"
chown munge:munge "$work/munge"
chmod 755 "$work/munge" # munged wants its socket's folder searchable by all
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" status=none
chown munge:munge "$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munge_socket=$work/munge/munge.socket
runuser -u munge -- /usr/sbin/munged --foreground --key-file="$work/munge/munge.key" \
	--socket="$munge_socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
	--seed-file="$work/munge/munged.seed" 2>/dev/null &
pids+=($!)
for i in $(seq 50); do
	[[ -S $munge_socket ]] && break
	if ((i == 50)); then log "munged did not start"; cat "$work/munge/munged.log" >&2 || true; exit 1; fi
	sleep 0.1
done

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=zooci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket,cred_expire=10
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
KillWait=30
# A requeued job waits cred_expire seconds before it may start again (default 120).
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld -D -c -f "$SLURM_CONF" 2>/dev/null &
pids+=($!)
/usr/sbin/slurmd -D -f "$SLURM_CONF" 2>/dev/null &
pids+=($!)
for i in $(seq 100); do
	if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then break; fi
	if ((i == 100)); then
		log "the node did not come up"; sinfo || true
		tail -n 20 "$work/slurmctld.log" "$work/slurmd.log" >&2 || true
		exit 1
	fi
	sleep 0.2
done
log "cluster up: $(sinfo -h -o '%P %D node(s), %c CPUs, %T')"

# The zoo binary and the spec, on the "shared" file system ($work); each
# sweep writes into sweeps/tiny under the folder it is run from.
go build -o "$work/zoo" ./cmd/zoo
mkdir -p "$work/local" "$work/slurm"
for d in local slurm; do
	cat >"$work/$d/tiny.json" <<'SPEC'
{
  "base": {"model": "mlp", "config": {"hidden": [256]}, "epochs": 8, "train_limit": 2000, "schedule": "none"},
  "axes": [{"path": "lr", "values": [0.02, 0.1]}],
  "seeds": {"values": [1, 2]}
}
SPEC
done

start=$SECONDS
(cd "$work/local" && "$work/zoo" sweep run tiny.json >/dev/null)
log "local runner: $((SECONDS - start))s"

start=$SECONDS
job=$(cd "$work/slurm" && "$work/zoo" sweep submit tiny.json --cpus-per-task 1 --max-parallel 2 --time 10:00 |
	sed -n 's/.*"job_id": "\([0-9]*\)".*/\1/p')
[[ -n $job ]] || { log "no job ID from zoo sweep submit"; exit 1; }
log "submitted job array $job"
cat "$work/slurm/sweeps/tiny/slurm/sweep.sbatch" >&2

# Requeue task 0 once it has finished its first epoch (of 8, about 0.2 s
# each): Slurm sends it SIGTERM, zoo saves last.safetensors mid-run, and the
# requeued task resumes it.
run0=$(cd "$work/slurm" && "$work/zoo" sweep plan tiny.json 2>/dev/null | sed -n 's/.*"dir": "\(.*\)".*/\1/p' | head -1)
for i in $(seq 600); do
	if grep -qs '^epoch 1/8' "$run0/train.log"; then break; fi
	if ((i == 600)); then log "task 0 did not start"; squeue || true; exit 1; fi
	sleep 0.1
done
scontrol requeue "${job}_0"
log "requeued task ${job}_0 after its first epoch"

while [[ -n $(squeue -h -j "$job" 2>/dev/null) ]]; do sleep 1; done
log "job array $job finished: $((SECONDS - start))s"
for f in "$work"/slurm/sweeps/tiny/slurm/*.out; do
	echo "--- $f" >&2
	cat "$f" >&2
done

# Two attempts in task 0's log: the first cancelled with its checkpoint
# saved, the second (resumed from it) to the end.
if ! grep -q 'cancelled; .* holds the run' "$run0/train.log" || [[ $(grep -c '^zoo train: mlp, ' "$run0/train.log") != 2 ]]; then
	log "task 0's training log does not show one cancelled and one resumed attempt:"
	cat "$run0/train.log" >&2
	exit 1
fi

for d in local slurm; do
	(cd "$work/$d" && "$work/zoo" sweep collect tiny.json >/dev/null)
done
# Every column but the wall time (column 8) must be equal, byte for byte.
for d in local slurm; do
	cut -d, --complement -f8 "$work/$d/sweeps/tiny/results.csv" >"$work/$d.csv"
done
cat "$work/local.csv" >&2
if ! cmp "$work/local.csv" "$work/slurm.csv" || ! cmp "$work/local/sweeps/tiny/summary.json" "$work/slurm/sweeps/tiny/summary.json"; then
	log "Slurm and local results differ:"
	diff "$work/local.csv" "$work/slurm.csv" >&2 || true
	exit 1
fi
[[ $(grep -c ',true,max_epochs,' "$work/slurm.csv") == 4 ]] || { log "not all 4 runs finished"; exit 1; }
log "Slurm and local runners agree on all 4 runs"
