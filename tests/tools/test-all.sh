#!/usr/bin/env bash
# test-all.sh BIN_ROOT LABEL - every test of the kit (make test), in less
# wall time than one long serial run.
#
# The tests are split into groups: one per lab (its suites labNN_*), the
# shared library's (common_*), the harness's and the grading test's. Each
# group is one run of tests/tools/run-tests.sh, which runs its tests one at
# a time in a PID namespace with a private /dev/shm and /tmp of its own, so
# two groups side by side cannot see each other's processes or
# shared-memory objects. Most tests wait (for children, timeouts, sleeps),
# so TEST_JOBS groups (default 4, on 2 cores) run at once; the labs whose tests compare
# timings of CPU-bound work (TIMED_LABS, default none) run after the
# others, alone, as in make mutants.
#
# Each group's output is printed whole when it ends, in the order they
# were started; the last lines are a table of the groups and one synthesis
# line that adds them up. Exits 1 if any test failed.
set -u
shopt -s extglob
cd "$(dirname "$0")/../.." || exit 1
root=$1 label=$2
jobs=${TEST_JOBS:-4}
case $jobs in '' | *[!0-9]* | 0) echo "test-all: TEST_JOBS must be a number >= 1" >&2; exit 2 ;; esac
timed=" ${TIMED_LABS-} "
out=$(mktemp -d build/tests/all.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT
trap 'exit 130' INT TERM

# The groups. The free ones start slowest first, so that the last to end
# is a short one: slowest by the times of the last run, kept in
# build/tests/group-times ("group seconds" lines; lab order before the
# first run).
free=(grading common harness) serial=()
for dir in labs/[0-9][0-9]-*/; do
    num=$(basename "$dir")
    num=${num%%-*}
    if [[ $timed == *" $num "* ]]; then serial+=("lab$num"); else free+=("lab$num"); fi
done
times_file=build/tests/group-times
if [ -s "$times_file" ]; then
    mapfile -t free < <(for i in "${!free[@]}"; do
        secs=$(awk -v g="${free[$i]}" '$1 == g { print $2 }' "$times_file")
        echo "${secs:-999} $i ${free[$i]}"
    done | sort -k1,1nr -k2,2n | awk '{ print $3 }')
fi

# Every suite must belong to a group: a new kind of suite is never left
# out without a word.
while IFS= read -r suite; do
    found=0
    for g in "${free[@]}" "${serial[@]}"; do [[ $suite == "$g"* ]] && found=1; done
    [ $found -eq 1 ] || { echo "test-all: suite $suite belongs to no group (add its prefix here)" >&2; exit 1; }
done < <(build/tests/kit-tests --list 2>/dev/null | sed -n -E 's/^([A-Za-z0-9_]+): [0-9]+ tests?$/\1/p')

# run GROUP: its tests, output and outcome into $out/GROUP.*
run() {
    local g=$1 start=$SECONDS
    bash tests/tools/run-tests.sh "$root" 1 "$g*" "$g, $label" >"$out/$g.log" 2>&1
    echo "$? $((SECONDS - start))" >"$out/$g.status"
}

# run_pool MAX GROUP...: at most MAX at once; print each when it ends.
order=()
run_pool() {
    local max=$1 running=0 g
    shift
    for g in "$@"; do
        order+=("$g")
        run "$g" &
        running=$((running + 1))
        if [ "$running" -ge "$max" ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    wait
}
start=$SECONDS
run_pool "$jobs" "${free[@]}"
run_pool 1 "${serial[@]}"

bad=0 tested=0 passing=0 failing=0 crashing=0
for g in "${order[@]}"; do
    cat "$out/$g.log"
done
echo
echo "Groups (TEST_JOBS=$jobs at a time${serial:+; ${timed:1:-1} alone}), in $((SECONDS - start)) s:"
for g in "${order[@]}"; do
    read -r st secs <"$out/$g.status"
    # Criterion's own count for this group (absent if it could not start)
    syn=$(grep '^\[====\] Synthesis' "$out/$g.log" | tail -n 1)
    if [[ $syn =~ Tested:\ ([0-9]+)\ \|\ Passing:\ ([0-9]+)\ \|\ Failing:\ ([0-9]+)\ \|\ Crashing:\ ([0-9]+) ]]; then
        tested=$((tested + BASH_REMATCH[1])) passing=$((passing + BASH_REMATCH[2]))
        failing=$((failing + BASH_REMATCH[3])) crashing=$((crashing + BASH_REMATCH[4]))
    else
        syn="no synthesis: the run did not finish"
        st=1
    fi
    [ "$st" -eq 0 ] || bad=1
    printf '  %-3s %-9s %4d s  %s\n' "$([ "$st" -eq 0 ] && echo ok || echo BAD)" "$g" "$secs" "${syn#\[====\] }"
done
# This run's times, for the next run's order.
for g in "${order[@]}"; do
    read -r st secs <"$out/$g.status"
    echo "$g $secs"
done >"$times_file.tmp" && mv "$times_file.tmp" "$times_file"
echo "[====] Synthesis: Tested: $tested | Passing: $passing | Failing: $failing | Crashing: $crashing "
exit $bad
