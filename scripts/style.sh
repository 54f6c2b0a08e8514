# Sourced by the scripts that print steps: bold only on a terminal, and never when NO_COLOR is set to
# anything (https://no-color.org), so logs and pipes get plain text rather than raw escape sequences.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
  step() { printf '\n$ %s\n' "$*"; }
fi
