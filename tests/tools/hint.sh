#!/usr/bin/env bash
# hint.sh LAB STUDENT_OUT STUDENT_ROOT [TODO] - make hint: the next hint for
# the TODO the first failing test points at, one level more each time.
#
# The hints are labs/NN-name/hints.md: a "## TODO(NN.k)" heading per TODO,
# under it three numbered items, the levels: 1. where to look, 2. what
# call, 3. what shape - never the code itself. Which TODO: the first test
# that failed in the last make check (its results are kept in
# STUDENT_OUT/results/, see run-tests.sh), mapped to its TODOs by
# tests/tools/todos.sh (the lab's tests/tools/todos/NN-name.txt and the
# TODOs its message names), leaving out those a passing test shows
# working. When the lab's files changed since that check, or there was
# none, make check runs first. TODO=NN.k asks about one TODO instead.
#
# The level reached for each TODO is kept in STUDENT_OUT/hints/NN-name.txt
# ("NN.k level" lines); a TODO's level goes back to 0 once no failing test
# points at it any more.
set -u
lab=$1 out=$2 root=$3 want=${4:-}
cd "$(dirname "$0")/../.." || exit 1
source tests/tools/todos.sh
export STUDENT_ROOT=$root
results=$out/results/$lab.txt
hints=labs/$lab/hints.md
state=$out/hints/$lab.txt
names=("where to look" "what call" "what shape")

# 1. Results of make check that are newer than every file of the lab.
stale=""
if [ ! -f "$results" ]; then
    stale="there is no make check of lab $lab yet"
elif [ -n "$(find "$root/$lab" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) -newer "$results" 2>/dev/null | head -n 1)" ]; then
    stale="your files changed since the last make check"
fi
if [ -n "$stale" ] && [ -z "$want" ]; then
    echo "make hint: $stale; running it first (make check LAB=${lab%%-*}) ..."
    began=$(date +%s)
    make --no-print-directory -s check LAB="$lab" STUDENT_ROOT="$root" STUDENT_OUT="$out" >"$out/hint-check.log" 2>&1
    echo "  $(grep -a '^\[====\] Synthesis' "$out/hint-check.log" | tail -n 1 | sed 's/^\[====\] //') ($(($(date +%s) - began)) s; all of it: $out/hint-check.log)"
    if [ ! -f "$results" ]; then
        echo "make hint: make check did not run the tests (does your code compile?):"
        tail -n 15 "$out/hint-check.log"
        exit 1
    fi
fi

# 2. The first failing test, and the TODOs it points at.
mapfile -t passed < <(awk '$1 == "ok" { print $2 }' "$results" 2>/dev/null)
mapfile -t failing < <(awk '$1 == "FAIL" { print $2 }' "$results" 2>/dev/null)
logs=$out/results/$lab.logs
declare -A pointed=()
for t in "${failing[@]}"; do
    for todo in $(todos_where "$lab" "$t" "$logs/$t.log" "${passed[@]}" | sed '/^--$/,$d'); do
        pointed[$todo]=1
    done
done
todo=$want
if [ -z "$todo" ]; then
    if [ ${#failing[@]} -eq 0 ]; then
        echo "Every test of lab $lab passed in your last make check: no hint needed."
        echo "What is left is the handout's Questions and Try (labs/$lab/README.md); make progress shows the course."
        rm -f "$state"
        exit 0
    fi
    todo=$(todos_where "$lab" "${failing[0]}" "$logs/${failing[0]}.log" "${passed[@]}" | head -n 1)
    [ "$todo" != "--" ] && [ -n "$todo" ] || {
        echo "make hint: the first failing test, ${failing[0]}, names no TODO; read its message (make check T=${failing[0]})."
        exit 0
    }
fi

# 3. The level: one more than last time; levels of TODOs no failing test
# points at any more are forgotten (that TODO passes now).
mkdir -p "$(dirname "$state")"
declare -A level=()
if [ -f "$state" ]; then
    while read -r t l; do
        [ -n "${pointed[$t]:-}" ] || [ "$t" = "$want" ] && level[$t]=$l
    done <"$state"
fi
n=$((${level[$todo]:-0} + 1))
last=""
[ $n -gt 3 ] && n=3 last=1
level[$todo]=$n
for t in "${!level[@]}"; do echo "$t ${level[$t]}"; done | sort -V >"$state"

# 4. Show levels 1..n of that TODO from hints.md.
item() { # item TODO K: level K's text under "## TODO(TODO)", indented
    awk -v h="## TODO($1)" -v k="$2" '
        index($0, h) == 1 { inside = 1; on = 0; next }
        inside && /^## / { exit }
        inside && /^[1-9]\. / { on = (substr($0, 1, 1) == k); if (on) { sub(/^[1-9]\. */, ""); print "    " $0 }; blank = 0; next }
        inside && on && /^[[:space:]]*$/ { blank++; next }
        inside && on { for (; blank > 0; blank--) print ""; sub(/^[[:space:]]+/, ""); print "    " $0 }
    ' "$hints" 2>/dev/null
}
where=$(todos_where_in "$lab" "$todo")
echo
if [ -z "$want" ]; then
    echo "The first failing test, ${failing[0]}, points at TODO($todo)${where:+ ($where)}."
fi
if [ -z "$(item "$todo" 1)" ]; then
    echo "make hint: $hints has no hint for TODO($todo) yet: read the test's message (make check), the TODO's comment and the handout's section."
    exit 0
fi
for k in $(seq 1 $n); do
    label="Hint $k of 3, ${names[$((k - 1))]}"
    [ $k -lt $n ] && label="$label (you have seen it)"
    echo "$label:"
    item "$todo" $k
done
echo
if [ -n "$last" ] || [ $n -eq 3 ]; then
    echo "That is the last hint for TODO($todo): the rest is yours to write. The handout"
    echo "(labs/$lab/README.md) and the test's message say what must be true."
else
    echo "make hint again for hint $((n + 1)) of 3 (${names[$n]})."
fi
