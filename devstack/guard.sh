#!/bin/sh
# A guard keeps what a process starts from outliving it, even when that process is SIGKILLed.
# The owner spawns it in a process group of its own (a Ctrl-C to the terminal's group or a kill of
# the owner's group does not reach it) with stdin a pipe from the owner, which it reads to the end:
# stdin reaches EOF when the owner closes it to ask for a stop, or when the owner dies (the kernel
# closes the pipe then) — one stop path for both, with no polling, and no owner pid that could be
# reused. It works across users too (as root, the stack runs Postgres as `postgres`).
#
#   guard.sh [--signal INT|TERM] [--grace SECONDS] [--rm PATH]... [--rm-on-failure PATH]...
#            [--rm-if-first-line FILE LINE] [--kill PID] [-- COMMAND [ARG]...]
#
# With a COMMAND (a server): starts it, and on EOF sends it --signal (default TERM), SIGKILL
# --grace seconds later (default 5) if it still runs. It ends when the command ends (by itself or
# so stopped), with the command's exit status. Where util-linux's setpriv has --pdeathsig, the
# command also gets --signal if the guard itself dies (SIGKILL).
# Without one: waits for EOF; a line `keep` read before it keeps the paths (and spares --kill's
# PID, a process of the owner's that it has not seen end: it gets --signal otherwise).
# Then removes the --rm paths, the --rm-on-failure ones if the command failed, and FILE if its
# first line is still LINE (it was not rewritten by someone else meanwhile) — unless it got SIGUSR1
# before the command ended: the owner stops the command but keeps its paths (a database stopped
# to be started again on the same data; guard.ts `release`).
kept=
trap 'kept=1' USR1
signal=TERM
grace=5
remove=
remove_on_failure=
marked_file=
marked_line=
kill_pid=
nl='
'
while [ $# -gt 0 ]; do
  case $1 in
    --signal) signal=$2 ;;
    --grace) grace=$2 ;;
    --rm) remove="$remove$2$nl" ;;
    --rm-on-failure) remove_on_failure="$remove_on_failure$2$nl" ;;
    --kill) kill_pid=$2 ;;
    --rm-if-first-line)
      marked_file=$2
      marked_line=$3
      shift
      ;;
    --)
      shift
      break
      ;;
    *)
      echo "guard.sh: unknown option $1" >&2
      exit 2
      ;;
  esac
  shift 2
done

remove_all() {
  printf '%s' "$1" | while IFS= read -r path; do
    [ -n "$path" ] && rm -rf -- "$path"
  done
}

clean_up() {
  [ -z "$kept" ] || return 0
  remove_all "$remove"
  [ "$1" -eq 0 ] || remove_all "$remove_on_failure"
  if [ -n "$marked_file" ]; then
    first=
    { IFS= read -r first <"$marked_file"; } 2>/dev/null
    [ "$first" = "$marked_line" ] && rm -f -- "$marked_file"
  fi
}

if [ $# -eq 0 ]; then
  trap '' PIPE # as below, for the messages of rm
  keep=
  while IFS= read -r line; do
    [ "$line" = keep ] && keep=1
  done
  if [ -z "$keep" ]; then
    [ -n "$kill_pid" ] && kill -s "$signal" "$kill_pid" 2>/dev/null
    clean_up 0
  fi
  exit 0
fi

if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig "$signal" true 2>/dev/null; then
  set -- setpriv --pdeathsig "$signal" -- "$@"
fi
"$@" </dev/null &
server=$!
# The watcher. An asynchronous list's stdin is /dev/null unless redirected explicitly, so it reads
# the owner's pipe through fd 3. Ended (TERM) once the server is gone, it ends its sleep too.
exec 3<&0
(
  while IFS= read -r _; do :; done
  kill -s "$signal" "$server" 2>/dev/null || exit 0
  sleeper=
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$grace" &
  sleeper=$!
  wait "$sleeper"
  kill -s KILL "$server" 2>/dev/null
) <&3 >/dev/null 2>&1 &
watcher=$!
exec 3<&- </dev/null
# A signal to the guard itself (not the owner's way, but a `kill` of it) stops the server too.
# Once the owner is dead, its end of stdout and stderr is closed: a write there (the shell's own
# "Terminated" for a server that ended by a signal) must not end the guard (SIGPIPE) before it
# cleans up. (Ignored from here on only: the server keeps its own SIGPIPE.)
trap 'kill -s "$signal" "$server" 2>/dev/null' INT TERM HUP
trap '' PIPE
while :; do
  wait "$server" 2>/dev/null
  status=$?
  # `wait` returns early when a trapped signal arrives; the server runs on then.
  kill -0 "$server" 2>/dev/null || break
done
kill "$watcher" 2>/dev/null
clean_up "$status"
exit "$status"
