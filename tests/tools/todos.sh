# todos.sh - which TODO a failing test points at; sourced by run-tests.sh
# (make check's "Where to look") and hint.sh (make hint).
#
# A lab's TODOs are numbered TODO(NN.k) in its starter files. Which TODO a
# failing test points at comes from two places:
#   - tests/tools/todos/NN-name.txt, a line per test:
#         suite::test | TODOs to look at, most likely first | TODOs shown
#                                                             working when it passes
#     e.g.  lab04_queue::a_woken_get_checks_again_that_an_item_is_there | 04.4 04.3 | 04.1 04.2
#     ('#' starts a comment; a TODO is written NN.k), and lines
#         ~ REGEX | TODOs      (the last '|' ends the REGEX)
#     for the whole lab: when a failure's message matches the extended
#     regular expression, those TODOs come next after the ones it names
#     (e.g. "~ zombie|without reaping | 02.2": a message from the harness
#     about unreaped children points at the father's waitpid);
#   - the TODOs the failure message names ("TODO(04.8)", "TODO 04.3, 04.4",
#     "TODO 04.1-04.5", "TODO(04.1) to TODO(04.6)"), in the order named.
# For a failure the message's TODOs come first (the test knows what it
# saw), then the rules' and the test's line; for a hang the test's line
# comes first (a hang's
# message can only list every TODO that might never wake a waiter). Then
# every TODO that a test which passed in the same run shows working is
# left out (and named as such), so a TODO that works is never blamed.
# A lab without a file gets the message's TODOs alone.

# todos_named FILE: the TODO numbers (NN.k) FILE names, in order, once each.
todos_named() {
    grep -oE 'TODO *\(? *[0-9]{2}\.[0-9]+\)?(( *(,|and|to|-) *(TODO *\(?)?([0-9]{2}\.)?[0-9]+\)?))*' "$1" 2>/dev/null |
        awk '{
            s = $0; sub(/^TODO *\(? */, "", s)
            lab = substr(s, 1, 2); range = 0; prev = -1
            gsub(/TODO *\(?|\)/, "", s)
            gsub(/,/, " , ", s); gsub(/-/, " - ", s)
            n = split(s, w, / +/)
            for (i = 1; i <= n; i++) {
                if (w[i] == "to" || w[i] == "-") { range = 1; continue }
                if (w[i] == "," || w[i] == "and" || w[i] == "") continue
                k = w[i]; sub(/^[0-9][0-9]\./, "", k); k += 0
                if (range && prev >= 0)
                    for (j = prev + 1; j <= k; j++) emit(lab "." j)
                else
                    emit(lab "." k)
                prev = k; range = 0
            }
        }
        function emit(t) { if (!(t in seen)) { seen[t] = 1; print t } }'
}

# todos_map LAB TEST FIELD: FIELD 2 (look at) or 3 (shown working) of the
# test's line in tests/tools/todos/LAB.txt, one TODO a line.
todos_map() {
    local file=tests/tools/todos/$1.txt
    [ -f "$file" ] || return 0
    awk -F'|' -v t="$2" -v f="$3" '
        /^[[:space:]]*#/ { next }
        { key = $1; gsub(/[[:space:]]/, "", key) }
        key == t { n = split($f, w, /[[:space:]]+/); for (i = 1; i <= n; i++) if (w[i] != "") print w[i] }
    ' "$file"
}

# todos_rules LAB LOG: the TODOs of the lab's "~ REGEX | TODOs" lines whose
# REGEX matches LOG, one a line.
todos_rules() {
    local file=tests/tools/todos/$1.txt line re
    [ -f "$file" ] || return 0
    while IFS= read -r line; do # the regex may hold '|': the last one ends it
        re=${line%|*} re=${re#\~ } re=${re% }
        grep -q -E -- "$re" "$2" 2>/dev/null && printf '%s\n' ${line##*|}
    done < <(grep '^~' "$file")
}

# todos_is_hang LOG: did the test's program (or the test) hang?
todos_is_hang() {
    grep -q -E 'did not finish within|it hung|[^a-z]hung[.:]| hangs|Timed out|timed out' "$1" 2>/dev/null
}

# todos_where LAB TEST LOG PASSED...: the TODOs to look at for TEST's
# failure (its message in LOG), most likely first, one a line; then, after
# a line "--", each TODO left out as "NN.k suite::test" (the passing test
# that shows it working). PASSED: the tests ("suite::test") that passed.
todos_where() {
    local lab=$1 test=$2 log=$3 t p
    shift 3
    local named mapped ruled all
    named=$(todos_named "$log")
    mapped=$(todos_map "$lab" "$test" 2)
    ruled=$(todos_rules "$lab" "$log")
    if todos_is_hang "$log"; then
        all=$(printf '%s\n%s\n%s\n' "$mapped" "$ruled" "$named")
    else
        all=$(printf '%s\n%s\n%s\n' "$named" "$ruled" "$mapped")
    fi
    declare -A proven=()
    for p in "$@"; do
        for t in $(todos_map "$lab" "$p" 3); do [ -n "${proven[$t]:-}" ] || proven[$t]=$p; done
    done
    local kept=() left=() seen=" "
    for t in $all; do
        case $seen in *" $t "*) continue ;; esac
        seen+="$t "
        if [ -n "${proven[$t]:-}" ]; then left+=("$t ${proven[$t]}"); else kept+=("$t"); fi
    done
    # Every candidate shown working: the tests cannot tell; name them all.
    if [ ${#kept[@]} -eq 0 ]; then
        for p in "${left[@]}"; do kept+=("${p%% *}"); done
        left=()
    fi
    printf '%s\n' "${kept[@]}"
    echo "--"
    [ ${#left[@]} -eq 0 ] || printf '%s\n' "${left[@]}"
}

# todos_where_in LAB TODO: "file.c, line N" of the TODO in the student's
# lab folder (STUDENT_ROOT, default labs), or nothing.
todos_where_in() {
    local root=${STUDENT_ROOT:-labs} hit
    hit=$(grep -n -m1 -F "TODO($2)" "$root/$1"/*.c "$root/$1"/*.h 2>/dev/null | head -n 1)
    [ -n "$hit" ] || hit=$(grep -n -m1 -F "TODO($2)" "labs/$1"/*.c "labs/$1"/*.h 2>/dev/null | head -n 1)
    [ -n "$hit" ] || return 0
    local file=${hit%%:*} rest=${hit#*:}
    echo "${file##*/}, line ${rest%%:*}"
}
