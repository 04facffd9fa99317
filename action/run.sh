#!/usr/bin/env bash
# The GitHub Action's step (action.yml): install linkname-bot with pip, check the change against
# the base revision, write annotations or a SARIF file, and the job summary. Runs offline in
# tests/test_e2e_action.py against a local git repository.
set -euo pipefail

python="${INPUT_PYTHON:-python3}"
version="${INPUT_VERSION:-}"
path="${INPUT_PATH:-.}"
format="${INPUT_FORMAT:-github}"
out="${GITHUB_OUTPUT:-/dev/null}"

case "$format" in
  github|sarif) ;;
  *) echo "::error title=linkname-bot::format must be github or sarif, not '$format'"; exit 2 ;;
esac

spec="linkname-bot"
if [ -n "$version" ]; then spec="linkname-bot==$version"; fi
"$python" -m pip install --disable-pip-version-check --quiet "$spec"

base="${INPUT_BASE:-}"
if [ -z "$base" ]; then base="${PR_BASE_SHA:-}"; fi
if [ -z "$base" ] && [ -n "${PUSH_BEFORE_SHA:-}" ] && [ "${PUSH_BEFORE_SHA}" != "0000000000000000000000000000000000000000" ]; then
  base="$PUSH_BEFORE_SHA"
fi
if [ -z "$base" ]; then
  echo "::error title=linkname-bot::no base revision: run on pull_request or push, or set the base input"
  exit 2
fi
if ! git -C "$path" cat-file -e "$base^{commit}" 2>/dev/null; then
  # A shallow checkout: fetch the base commit (actions/checkout with fetch-depth 0 avoids this).
  git -C "$path" fetch --no-tags --quiet origin "$base"
fi

args=(check "$path" --base "$base" --min-severity "${INPUT_MIN_SEVERITY:-notice}")
if [ -n "${INPUT_GO:-}" ]; then args+=(--go "$INPUT_GO"); fi

code=0
if [ "$format" = sarif ]; then
  sarif="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/linkname-bot.sarif"
  linkname-bot "${args[@]}" --format sarif > "$sarif" || code=$?
  echo "sarif-file=$sarif" >> "$out"
  # The job summary and the log: the same findings as GitHub shows them.
  linkname-bot "${args[@]}" --format github > /dev/null || true
  linkname-bot "${args[@]}" --format text || true
else
  linkname-bot "${args[@]}" --format github || code=$?
fi
echo "exit-code=$code" >> "$out"
if [ "$code" -ge 2 ]; then exit "$code"; fi
exit 0
