#!/usr/bin/env bash
# long-functions.sh DIR... - list the functions longer than .clang-tidy's
# readability-function-size.LineThreshold (60) in DIR/**/*.c, longest
# first. make lint runs it on solutions/ while the limit is not yet
# enforced there (Makefile: LINT_SIZE_DIRS); it always exits 0.
cd "$(dirname "$0")/../.." || exit 0
files=$(find "$@" -name '*.c' | sort)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-tidy --quiet --checks='-*,readability-function-size' --warnings-as-errors='' $files -- \
    -std=c17 -pthread -D_POSIX_C_SOURCE=200809L -Icommon 2>/dev/null |
    sed -n -E 's|^([^:]+):([0-9]+):[0-9]+: note: ([0-9]+) lines including.*|\3 \1:\2|p' |
    sort -rn >/tmp/long-functions.$$
n=$(wc -l </tmp/long-functions.$$)
if [ "$n" -gt 0 ]; then
    echo "lint: $n function(s) in $* longer than 60 lines (not yet enforced there):"
    while read -r lines where; do
        # the function's name: the identifier before '(' on its first line
        f=${where%:*} l=${where##*:}
        name=$(sed -n "${l}p" "$f" | sed -E 's/^[^(]*[^A-Za-z0-9_(]([A-Za-z0-9_]+)\(.*/\1/')
        echo "  ${f#"$PWD"/}:$l $name(): $lines lines"
    done </tmp/long-functions.$$
fi
rm -f /tmp/long-functions.$$
exit 0
