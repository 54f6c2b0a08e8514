#!/usr/bin/env bash
# action.yml's run step. Credentials come from INPUT_SECRETS (NAME=value lines) into this process only.
set -euo pipefail

# Names a credentials line may not set: the shell's and the runner's own, and every setting that would move
# where the credentials go (URLs and allowed hosts are the operator's, in the workflow's env, not secrets).
forbidden='^(PATH|HOME|SHELL|IFS|ENV|BASH_ENV|LD_[A-Z_]*|PYTHON[A-Z_]*|GITHUB_[A-Z_]*|RUNNER_[A-Z_]*|ACTIONS_[A-Z_]*|RECONCILER_[A-Z_]*|[A-Z0-9_]*_URL)$'
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
  if [[ "$name" =~ $forbidden ]]; then
    echo "::error::secrets: line $number sets $name, which is not a credential; set it in the workflow's env"
    exit 1
  fi
  value=${line#*=}
  # An unset repository secret arrives empty: leave the variable unset, so reconciler names it.
  [ -n "$value" ] && export "$name=$value"
done <<< "${INPUT_SECRETS:-}"
unset INPUT_SECRETS

# paths and args: whitespace-separated words, on one line or several; quotes are refused, not half-kept.
for input in "paths=${INPUT_PATHS:-}" "args=${INPUT_ARGS:-}"; do
  if [[ "$input" == *[\"\']* ]]; then
    echo "::error::${input%%=*}: quotes are not supported; one word per path or argument, separated by spaces or lines"
    exit 1
  fi
done
set -f  # the words are split on whitespace, never globbed
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-accounts/})
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f

# Where plan.md, plan.json and the audit log go: the runner's temp directory, never the checkout, which the
# pull request controls.
out_dir() {
  local out=${RECONCILER_OUT:-${RUNNER_TEMP:?RUNNER_TEMP is not set: the action writes its files there}/reconciler}
  mkdir -p "$out"
  printf '%s' "$out"
}

default_branch() {
  python -c 'import json, os; print(json.load(open(os.environ["GITHUB_EVENT_PATH"]))["repository"]["default_branch"])'
}

case "${INPUT_COMMAND:-}" in
  validate)
    exec reconciler validate "${paths[@]}" "${extra[@]}" ;;
  plan)
    # The comment, the job summary and the artifact (plan.md, plan.json) all come from this one run.
    out=$(out_dir)
    exec reconciler plan "${paths[@]}" --github-comment --format markdown --out "$out/plan.json" "${extra[@]}" \
      > "$out/plan.md" ;;
  apply)
    audit="$(out_dir)/reconciler-audit.jsonl"
    if [ "${GITHUB_EVENT_NAME:-}" = workflow_dispatch ]; then
      # A maintainer's manual run applies what the default branch holds now, without the reviewed-plan
      # check: never another branch, and logged.
      if [ "${GITHUB_REF:-}" != "refs/heads/$(default_branch)" ]; then
        echo "::error::a manual apply runs on the default branch only, not ${GITHUB_REF:-?}"
        exit 1
      fi
      echo "::notice::manual apply by ${GITHUB_ACTOR:-someone}, without the reviewed-plan check: ${extra[*]}"
      exec reconciler apply "${paths[@]}" --auto-approve --audit-log "$audit" "${extra[@]}"
    fi
    exec reconciler apply "${paths[@]}" --auto-approve --github-reviewed --audit-log "$audit" "${extra[@]}" ;;
  drift)
    # Drift is reported in one issue (opened, updated, closed); the job itself stays green on drift, and a
    # forceable rail the drift would break is not a failure here (--force: nothing is applied).
    status=0
    reconciler plan "${paths[@]}" --github-drift-issue --detailed-exitcode --force "${extra[@]}" || status=$?
    if [ "$status" -eq 2 ]; then
      echo "::warning::drift: an account differs from its config; see the reconciler drift issue"
      exit 0
    fi
    exit "$status" ;;
  *)
    echo "::error::command must be validate, plan, apply or drift, not '${INPUT_COMMAND:-}'"
    exit 1 ;;
esac
