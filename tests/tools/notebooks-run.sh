#!/usr/bin/env bash
# notebooks-run.sh OUT_DIR - make notebooks-run: execute every lab's
# notebook headless against the reference programs (KIT_NB_REF=1, see
# nb-run.sh) and check that each Run cell printed what the handout shows
# (notebooks.py compare: the shape of the output, not its numbers).
#
# Most of a notebook's time is Jupyter starting its kernel and the programs
# waiting (sleeps, children, the page server), so NB_JOBS notebooks
# (default 2) run at once; each one's output is printed whole, in lab
# order, when it ends. Exits 1 if any cell failed or differs.
set -u
cd "$(dirname "$0")/../.." || exit 1
out=$1
jobs=${NB_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "notebooks-run: NB_JOBS must be a number >= 1" >&2; exit 2 ;; esac
mkdir -p "$out"
logs=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM

# one NOTEBOOK LOG: execute, then compare; the status goes to LOG.status
one() {
    local nb=$1 log=$2 st=0
    if ! KIT_NB_REF=1 PYDEVD_DISABLE_FILE_VALIDATION=1 jupyter nbconvert --log-level=WARN \
        --to notebook --execute --ExecutePreprocessor.timeout=300 \
        --output-dir "$out" "$nb" >"$log" 2>&1; then
        echo "notebooks-run: $nb: a cell failed (above)" >>"$log"
        st=1
    elif ! python3 tests/tools/notebooks.py compare "$out/$(basename "$nb")" >>"$log" 2>&1; then
        st=1
    fi
    echo $st >"$log.status"
}

nbs=(labs/[0-9][0-9]-*/*.ipynb)
running=0
for i in "${!nbs[@]}"; do
    one "${nbs[$i]}" "$logs/$i" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
bad=0
for i in "${!nbs[@]}"; do
    cat "$logs/$i"
    [ "$(cat "$logs/$i.status" 2>/dev/null)" = 0 ] || bad=1
done
exit $bad
