#!/usr/bin/env bash
# progress.sh STUDENT_OUT STUDENT_ROOT [RUN] - make progress: every lab's
# tests passed and points (out of tests/rubric/NN-name.txt), from the last
# make check of each lab (its results are kept in STUDENT_OUT/results/ by
# run-tests.sh), and the next lab to do. A lab never checked, or whose .c
# and .h files changed since its last check, says so; with RUN=1 (make
# progress RUN=1) those labs are checked first, one after the other, and
# each check's time is shown.
set -u
out=$1 root=$2 run=${3:-}
cd "$(dirname "$0")/../.." || exit 1
labs=$(cd labs && ls -d [0-9][0-9]-* 2>/dev/null)

# stale LAB: why the stored results do not describe the lab's files, or nothing.
stale() {
    local r=$out/results/$1.txt
    if [ ! -f "$r" ]; then
        echo "never checked"
    elif [ -n "$(find "$root/$1" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) -newer "$r" 2>/dev/null | head -n 1)" ]; then
        echo "changed since"
    fi
}

if [ -n "$run" ]; then
    todo=()
    for lab in $labs; do [ -n "$(stale "$lab")" ] && todo+=("$lab"); done
    if [ ${#todo[@]} -eq 0 ]; then
        echo "Every lab's results are up to date: nothing to check."
    else
        echo "Checking the labs never checked or changed since (${todo[*]}), one at a time:"
    fi
    for lab in "${todo[@]}"; do
        began=$(date +%s)
        make --no-print-directory -s check LAB="$lab" STUDENT_ROOT="$root" STUDENT_OUT="$out" >"$out/progress-$lab.log" 2>&1
        syn=$(grep -a '^\[====\] Synthesis' "$out/progress-$lab.log" | tail -n 1 | sed -E 's/^\[====\] Synthesis: //; s/ \([0-9]+ min [0-9]+ s\)$//')
        printf '  %-20s %s in %d s\n' "$lab" "${syn:-did not run the tests (see $out/progress-$lab.log)}" $(($(date +%s) - began))
    done
    echo
fi

printf '%-20s %-9s %-9s %s\n' "lab" "tests" "points" "last make check"
all_got=0 all_max=0 next="" next_why=""
for lab in $labs; do
    rubric=tests/rubric/$lab.txt r=$out/results/$lab.txt
    [ -f "$rubric" ] || continue
    declare -A pts=()
    total=0 max=0
    while read -r key p; do
        case $key in '#'* | '') continue ;; esac
        pts[$key]=$p total=$((total + 1)) max=$((max + p))
    done <"$rubric"
    ok=0 got=0 ran=0 first_fail=""
    if [ -f "$r" ]; then
        while read -r st name _; do
            case $st in
                ok) ok=$((ok + 1)) ran=$((ran + 1)) got=$((got + ${pts[$name]:-0})) ;;
                FAIL) ran=$((ran + 1)); [ -n "$first_fail" ] || first_fail=$name ;;
            esac
        done <"$r"
    fi
    unset pts
    why=$(stale "$lab")
    when=""
    [ -f "$r" ] && when=$(sed -n -E '1s/^# make check of [^,]*, ([0-9-]+ [0-9:]+).*/\1/p' "$r")
    note=$when
    [ "$why" = "changed since" ] && note="$when (your files changed since)"
    [ "$why" = "never checked" ] && note="never checked"
    [ -f "$r" ] && [ $ran -lt $total ] && note="$note; $ran of $total tests run (T=)"
    if [ -f "$r" ]; then
        printf '%-20s %-9s %-9s %s\n' "$lab" "$ok/$total" "$got/$max" "$note"
    else
        printf '%-20s %-9s %-9s %s\n' "$lab" "-/$total" "-/$max" "$note"
    fi
    all_got=$((all_got + got)) all_max=$((all_max + max))
    if [ -z "$next" ] && { [ ! -f "$r" ] || [ $ok -lt $total ]; }; then
        next=$lab
        if [ ! -f "$r" ]; then next_why="not checked yet"
        elif [ -n "$first_fail" ]; then next_why="$((ran - ok)) test(s) fail, the first $first_fail"
        else next_why="$((total - ran)) test(s) not run yet"; fi
    fi
done
echo
echo "Points: $all_got/$all_max (tests/rubric/)"
if [ -n "$next" ]; then
    echo "Next: lab $next ($next_why): cd labs/$next && make check"
else
    echo "Every test of every lab passes. What is left: each handout's Questions and Try."
fi
grep -q -E 'never checked|changed since' < <(for lab in $labs; do stale "$lab"; done) && [ -z "$run" ] &&
    echo "(Points are from each lab's last make check; make progress RUN=1 checks the labs never checked or changed since.)"
exit 0
