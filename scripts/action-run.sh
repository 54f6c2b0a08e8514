#!/usr/bin/env bash
# action.yml's run step. Credentials come from INPUT_SECRETS (NAME=value lines) into this process only.
set -euo pipefail
number=0
while IFS= read -r line || [ -n "$line" ]; do
  number=$((number + 1))
  line=${line%$'\r'}
  [ -z "${line// /}" ] && continue
  name=${line%%=*}
  if [[ ! "$name" =~ ^[A-Z_][A-Z0-9_]*$ || "$line" != *=* ]]; then
    # Never echo the line: it may be a secret pasted without its name.
    echo "::error::secrets: each line is NAME=value; line $number is not"
    exit 1
  fi
  export "$name=${line#*=}"
done <<< "${INPUT_SECRETS:-}"
unset INPUT_SECRETS
read -r -a paths <<< "${INPUT_PATHS:-accounts/}"
read -r -a extra <<< "${INPUT_ARGS:-}"

case "${INPUT_COMMAND:-}" in
  validate)
    exec reconciler validate "${paths[@]}" "${extra[@]}" ;;
  plan)
    # The comment, the job summary and the artifact (plan.md, plan.json) all come from this one run.
    exec reconciler plan "${paths[@]}" --github-comment --format markdown --out plan.json "${extra[@]}" > plan.md ;;
  apply)
    if [ "${GITHUB_EVENT_NAME:-}" = workflow_dispatch ]; then
      # A maintainer's manual run applies what is there now, without the reviewed-plan check: logged.
      echo "::notice::manual apply by ${GITHUB_ACTOR:-someone}, without the reviewed-plan check: ${extra[*]}"
      exec reconciler apply "${paths[@]}" --auto-approve "${extra[@]}"
    fi
    exec reconciler apply "${paths[@]}" --auto-approve --github-reviewed "${extra[@]}" ;;
  drift)
    # Drift is reported in one issue (opened, updated, closed); the job itself stays green on drift.
    status=0
    reconciler plan "${paths[@]}" --github-drift-issue --detailed-exitcode "${extra[@]}" || status=$?
    if [ "$status" -eq 2 ]; then
      echo "::warning::drift: an account differs from its config; see the reconciler drift issue"
      exit 0
    fi
    exit "$status" ;;
  *)
    echo "::error::command must be validate, plan, apply or drift, not '${INPUT_COMMAND:-}'"
    exit 1 ;;
esac
