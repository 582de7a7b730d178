# shellcheck shell=bash
# Process supervision of the lab: every daemon it starts has a pid file
# $LAB_PIDS/<name>.pid holding "<pid> <marker>", where <marker> must appear in the
# process's command line (guards against a recycled pid).  Logs go to $LAB_LOGS/<name>.log.
# Needs paths.sh sourced.

proc_pid() { local f=$LAB_PIDS/$1.pid; [ -f "$f" ] && read -r pid _ <"$f" && echo "$pid"; }

proc_alive() {
  # proc_alive <name>: the recorded process runs (not a zombie) and is still ours.
  local f=$LAB_PIDS/$1.pid pid marker state
  [ -f "$f" ] || return 1
  read -r pid marker <"$f" || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  # Field 3 of /proc/PID/stat (after the "(comm)" field) is the state; Z = exited but
  # not yet reaped (PID 1 here reaps orphans only ~1.5 s late): count it as stopped.
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

proc_start() {
  # proc_start <name> <marker> <argv...>: start detached (own session), stdin closed.
  local name=$1 marker=$2; shift 2
  mkdir -p "$LAB_PIDS" "$LAB_LOGS"
  setsid "$@" </dev/null >>"$LAB_LOGS/$name.log" 2>&1 &
  echo "$! $marker" >"$LAB_PIDS/$name.pid"
}

proc_stop() {
  # proc_stop <name> [timeout-s]: TERM, wait, then KILL; removes the pid file.
  local name=$1 timeout=${2:-15} pid i
  pid=$(proc_pid "$name") || { rm -f "$LAB_PIDS/$name.pid"; return 0; }
  if proc_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do proc_alive "$name" || break; sleep 0.1; done
    if proc_alive "$name"; then
      echo "lab: $name (pid $pid) ignored SIGTERM for ${timeout}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do proc_alive "$name" || break; sleep 0.1; done
    fi
  fi
  rm -f "$LAB_PIDS/$name.pid"
}

port_owner() {
  # port_owner <port>: prints "addr:port process" lines of TCP listeners on that port.
  ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}'
}
