#!/usr/bin/env bash
# hints-check.sh [LAB...] - check each lab's hints (labs/NN-name/hints.md,
# read by make hint) and its TODO map (tests/tools/todos/NN-name.txt, read
# by make check and make hint):
#   - a "## TODO(NN.k)" heading for every TODO(NN.k) of the starter files,
#     and none for a TODO that does not exist;
#   - under each heading exactly the items 1., 2., 3. (the three levels:
#     where to look, what call, what shape), in that order;
#   - no line of the solution's code (between BEGIN/END SOLUTION in
#     solutions/NN-name/, 16 characters or more once blanks are squeezed)
#     appears in the hints: a hint is never the code itself;
#   - the map has a line for every test of the lab's rubric, and names only
#     TODOs that exist.
# Exits 1 if anything is wrong, saying what. tests/tools/selftest-commands.sh
# runs it.
set -u
cd "$(dirname "$0")/../.." || exit 1
labs=("$@")
[ ${#labs[@]} -gt 0 ] || mapfile -t labs < <(cd labs && ls -d [0-9][0-9]-*)
bad=0
problem() { echo "hints-check: $*"; bad=1; }
for lab in "${labs[@]}"; do
    lab=$(cd labs && ls -d "$lab"* 2>/dev/null | head -n 1)
    [ -n "$lab" ] || continue
    hints=labs/$lab/hints.md
    mapfile -t todos < <(grep -ohE 'TODO\([0-9]{2}\.[0-9]+\)' labs/"$lab"/*.c labs/"$lab"/*.h 2>/dev/null | sed -E 's/TODO\((.*)\)/\1/' | sort -uV)
    if [ ! -f "$hints" ]; then
        [ ${#todos[@]} -eq 0 ] || problem "$hints is missing (${#todos[@]} TODOs)"
        continue
    fi
    mapfile -t heads < <(sed -n -E 's/^## TODO\(([0-9]{2}\.[0-9]+)\).*/\1/p' "$hints" | sort -uV)
    missing=$(comm -23 <(printf '%s\n' "${todos[@]}") <(printf '%s\n' "${heads[@]}") | paste -sd' ')
    extra=$(comm -13 <(printf '%s\n' "${todos[@]}") <(printf '%s\n' "${heads[@]}") | paste -sd' ')
    [ -z "$missing" ] || problem "$hints has no hint for TODO $missing"
    [ -z "$extra" ] || problem "$hints has hints for TODO $extra, which the starter does not have"
    # The items under each heading: 1 2 3, nothing else numbered.
    awk -v f="$hints" '
        /^## TODO\(/ { if (h != "" && got != "123") printf "hints-check: %s: %s has items [%s], not 1. 2. 3.\n", f, h, got; h = $2; got = ""; next }
        /^## / { if (h != "" && got != "123") printf "hints-check: %s: %s has items [%s], not 1. 2. 3.\n", f, h, got; h = ""; next }
        h != "" && /^[0-9]+\. / { got = got substr($0, 1, index($0, ".") - 1) }
        END { if (h != "" && got != "123") printf "hints-check: %s: %s has items [%s], not 1. 2. 3.\n", f, h, got }
    ' "$hints" | grep . && bad=1
    # No solution line in the hints.
    squeeze() { tr -s ' \t\n' '   '; }
    text=$(squeeze <"$hints")
    while IFS= read -r line; do
        line=$(echo "$line" | squeeze | sed -E 's/^ //; s/ $//')
        [ ${#line} -ge 16 ] || continue
        case $text in *"$line"*) problem "$hints quotes the solution: $line" ;; esac
    done < <(awk '/BEGIN SOLUTION/ { on = 1; next } /END SOLUTION/ { on = 0 } on' solutions/"$lab"/*.c 2>/dev/null)
    # The map: a line per rubric test, only existing TODOs.
    map=tests/tools/todos/$lab.txt
    if [ -f "$map" ]; then
        for t in $(awk '!/^#/ && NF == 2 { print $1 }' tests/rubric/"$lab".txt 2>/dev/null); do
            grep -q -E "^$t[[:space:]]*\|" "$map" || problem "$map has no line for $t"
        done
        for t in $(grep -v -e '^#' -e '^~' "$map" | cut -d'|' -f2- | tr '|' ' ') $(grep '^~' "$map" | sed 's/.*|//'); do
            printf '%s\n' "${todos[@]}" | grep -qxF "$t" || problem "$map names TODO $t, which the starter does not have"
        done
    fi
done
[ $bad -eq 0 ] && echo "hints-check: ${#labs[@]} lab(s) ok"
exit $bad
