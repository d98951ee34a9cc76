#!/usr/bin/env bash
# Work through a list of tasks with Codex; when Codex fails or stalls on one, Claude Code takes it over.
#
#   ./run-tasks.sh tasks.txt
#
# One task per line; blank lines and lines starting with `#` are skipped. Each task runs as
#   ccplugin failover --json --stall-timeout $STALL_TIMEOUT -- $CODEX exec --sandbox workspace-write -- "<task>"
# and its report (JSON) is kept in $LOG_DIR/task-<n>.json.
#
# Environment: CODEX (default `codex`), STALL_TIMEOUT (seconds without output, default 300),
# LOG_DIR (default `.failover-logs`). Exit status: 0 when every task ended done (by Codex or by Claude Code),
# 1 when some did not, 130 when interrupted.
set -euo pipefail

tasks_file=${1:?usage: run-tasks.sh TASKS_FILE}
codex=${CODEX:-codex}
stall=${STALL_TIMEOUT:-300}
log_dir=${LOG_DIR:-.failover-logs}
mkdir -p "$log_dir"

# which path ran, from the failover report: succeeded (Codex did it), failed or stalled (Claude Code took over)
path_of() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["failover"]["path"])' "$1"
}

n=0
not_done=0
while IFS= read -r task || [[ -n $task ]]; do
  [[ -z ${task//[[:space:]]/} || $task == \#* ]] && continue
  n=$((n + 1))
  report="$log_dir/task-$n.json"
  echo "== task $n: $task"
  code=0
  ccplugin failover --json --stall-timeout "$stall" -- "$codex" exec --sandbox workspace-write -- "$task" \
    >"$report" </dev/null || code=$?
  case $code in
    0)
      if [[ $(path_of "$report") == succeeded ]]; then
        echo "   done by Codex"
      else
        echo "   done by Claude Code after Codex $(path_of "$report") (report: $report)"
      fi
      ;;
    130)
      echo "   interrupted"
      exit 130
      ;;
    *)
      echo "   NOT DONE (exit $code): Codex and Claude Code both failed, or bad input; see $report and the lines above"
      not_done=$((not_done + 1))
      ;;
  esac
done <"$tasks_file"

echo "$n task(s), $not_done not done"
[[ $not_done -eq 0 ]]
