# Shared by up.sh and down.sh; sourced, never run.
# Names and labels every test object carries, so that down.sh removes only
# what the tests made:
#   images:  repository prefix "reconcile-test/" and label io.reconcile.test.image
#   others:  label io.reconcile.test=<env id> (the id of one state dir)
test_prefix=reconcile-test
image_label=io.reconcile.test.image
object_label=io.reconcile.test

die() { echo "testenv: $*" >&2; exit 1; }
log() { echo "testenv: $*"; }

# The engine's unix socket, from DOCKER_HOST like the client; empty when
# DOCKER_HOST names a TCP engine (which the scripts never start).
docker_socket() {
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  case $host in
    unix://*) echo "${host#unix://}" ;;
    *) echo "" ;;
  esac
}

# True when an engine answers /_ping on DOCKER_HOST.
engine_answers() {
  local socket
  socket=$(docker_socket)
  if [ -n "$socket" ]; then
    [ -S "$socket" ] && curl -fsS --max-time 3 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1
  else
    local hostport=${DOCKER_HOST#tcp://}
    curl -fsS --max-time 3 "http://$hostport/_ping" >/dev/null 2>&1
  fi
}

# alive PID: the process exists and is not a zombie (a child that exited but
# was not reaped yet still has a /proc entry).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid_is PIDFILE NAME: true when PIDFILE holds the pid of a live process whose
# command is NAME (guards against a recycled pid).
pid_is() {
  local file=$1 name=$2 pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file")
  alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# stop_pid PIDFILE NAME: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pid() {
  local file=$1 name=$2 pid
  if ! pid_is "$file" "$name"; then
    rm -f "$file"
    return 0
  fi
  pid=$(cat "$file")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "$name did not stop in 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# The id of a state dir: tests label their objects with it.
env_id_of() { printf '%s' "$1" | sha1sum | cut -c1-12; }

# start_engine STATE_DIR: dockerd, only when nothing answers on DOCKER_HOST;
# its pid goes to STATE_DIR/dockerd.pid so that only an engine we started is
# ever stopped.
start_engine() {
  local state=$1
  if engine_answers; then
    pid_is "$state/dockerd.pid" dockerd || rm -f "$state/dockerd.pid"
    log "engine answers on ${DOCKER_HOST:-unix:///var/run/docker.sock}"
    return
  fi
  local socket
  socket=$(docker_socket)
  [ -n "$socket" ] || die "no engine answers on $DOCKER_HOST and only a unix socket engine can be started"
  command -v dockerd >/dev/null || die "dockerd is not installed: run scripts/install-deps.sh"
  # A kernel without usable iptables makes dockerd exit at once; the tests
  # only need containers that never talk to the network, so retry without.
  local flags
  for flags in "" "--iptables=false"; do
    log "starting dockerd on $socket ${flags:+($flags) }(log: $state/dockerd.log)"
    # setsid and closed std streams: the engine must outlive this script and
    # must not hold ctest's output pipe (or our lock, fd 9) open.
    # shellcheck disable=SC2086
    setsid dockerd --host "unix://$socket" $flags >"$state/dockerd.log" 2>&1 </dev/null 9>&- &
    echo $! >"$state/dockerd.pid"
    for _ in $(seq 1 600); do
      engine_answers && return
      # Not pid_is: until setsid has exec'd, the process is not called dockerd.
      alive "$(cat "$state/dockerd.pid")" || break
      sleep 0.1
    done
    if alive "$(cat "$state/dockerd.pid")"; then
      tail -20 "$state/dockerd.log" >&2
      stop_pid "$state/dockerd.pid" dockerd
      die "dockerd did not answer within 60 s"
    fi
    log "dockerd exited:"
    tail -5 "$state/dockerd.log" >&2
  done
  rm -f "$state/dockerd.pid"
  die "dockerd would not start"
}
