#!/usr/bin/env bash
# A single-node Slurm on localhost for tests: controller and one compute node on 127.0.0.1, no systemd.
#
#   scripts/slurm-local.sh install   # apt-get install slurm-wlm munge (CI; needs root)
#   scripts/slurm-local.sh start     # configure /etc/slurm/slurm.conf, start munged, slurmctld, slurmd; wait idle
#   scripts/slurm-local.sh stop      # stop the daemons this script started
#   scripts/slurm-local.sh status    # exit 0 when the node accepts jobs
#
# `start` installs nothing. It refuses to overwrite a slurm.conf it did not write (one without the marker line
# below), so it never clobbers a real cluster's configuration. On failure it prints one line `reason: ...` on
# stderr and exits 1, so a test can skip with that reason.
set -euo pipefail

MARKER="# written by landscape scripts/slurm-local.sh"
CONF=/etc/slurm/slurm.conf
NODE=landscape-node
STATE=/run/landscape-slurm-local.started
LOG_DIR=/var/log/slurm

fail() { echo "reason: $*" >&2; exit 1; }

install_packages() {
  [ "$(id -u)" = 0 ] || fail "installing packages needs root"
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 | tr -d '*~#!%$@^-'; }

ready() { scontrol ping >/dev/null 2>&1 && case "$(node_state)" in idle|mixed|allocated) true ;; *) false ;; esac; }

start() {
  for tool in sbatch slurmctld slurmd munged scontrol sinfo; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (install slurm-wlm and munge: scripts/slurm-local.sh install)"
  done
  [ "$(id -u)" = 0 ] || fail "starting slurmctld/slurmd for a local node needs root"
  if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    if ready; then echo "slurm: already running with an existing configuration"; return 0; fi
    fail "$CONF exists and was not written by this script; not touching it"
  fi
  mkdir -p /etc/slurm /var/spool/slurmd /var/spool/slurmctld "$LOG_DIR" /run/munge
  local cpus
  cpus=$(nproc)
  cat > "$CONF" <<CONF
$MARKER
ClusterName=localtest
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  : > "$STATE.new"
  if ! pgrep -x munged >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
      chmod 400 /etc/munge/munge.key
    fi
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
      su -s /bin/sh munge -c munged 2>/dev/null || munged --force || fail "munged did not start"
    else
      munged --force || fail "munged did not start"
    fi
    echo munged >> "$STATE.new"
  fi
  if ! scontrol ping >/dev/null 2>&1; then
    slurmctld || fail "slurmctld did not start (see $LOG_DIR/slurmctld.log)"
    echo slurmctld >> "$STATE.new"
  fi
  if [ ! -s /run/slurmd.pid ] || ! kill -0 "$(cat /run/slurmd.pid)" 2>/dev/null; then
    slurmd -N "$NODE" || fail "slurmd did not start (see $LOG_DIR/slurmd.log)"
    echo slurmd >> "$STATE.new"
  fi
  cat "$STATE.new" >> "$STATE"; rm -f "$STATE.new"
  for _ in $(seq 1 60); do
    if ready; then echo "slurm: node $NODE is $(node_state)"; return 0; fi
    case "$(node_state)" in
      down|drained|draining|fail) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  fail "node $NODE not idle after 60 s (state: $(node_state || echo unknown); see $LOG_DIR)"
}

stop_pidfile() {
  local pidfile=$1
  if [ -s "$pidfile" ]; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
}

stop() {
  [ -f "$STATE" ] || { echo "slurm: nothing started by this script"; return 0; }
  if grep -qx slurmd "$STATE"; then stop_pidfile /run/slurmd.pid; fi
  if grep -qx slurmctld "$STATE"; then stop_pidfile /run/slurmctld.pid; fi
  if grep -qx munged "$STATE"; then stop_pidfile /run/munge/munged.pid; fi
  rm -f "$STATE"
  echo "slurm: stopped"
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  status) ready ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
