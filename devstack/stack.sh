#!/bin/sh
# `npm run stack -- --env-file F`: Node 20 reads `--env-file` anywhere on its command line (even
# after the script name) and would load F into its own environment. Pass it on under another name.
for arg; do
  shift
  case "$arg" in
    --env-file) set -- "$@" --env-output ;;
    --env-file=*) set -- "$@" "--env-output=${arg#--env-file=}" ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec node "$(dirname "$0")/../bin/run.mjs" devstack/cli.ts "$@"
