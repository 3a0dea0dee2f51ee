#!/usr/bin/env bash
# nb-run.sh STATUS PROG [ARG...] - what a notebook's *Run* cell calls.
#
# Builds this lab's programs (your code, from the lab folder the notebook
# lives in) and runs PROG with the arguments, its stderr shown with its
# stdout as on a terminal. STATUS is the exit status the reference program
# has for this cell: 0 for most, 2 where the handout shows a usage error on
# purpose. When the program ends with STATUS, the cell succeeds (printing
# "[exit status N]" when N is not 0, like the handout); any other ending
# fails the cell, which stops the notebook at the first surprise.
#
# KIT_NB_REF=1 runs the reference programs (solutions/) instead: that is how
# CI executes the notebooks.
set -u
want=$1 prog=$2
shift 2
lab_dir=$(pwd -P)
lab=$(basename "$lab_dir")
top=$(cd "$lab_dir/../.." && pwd -P)
case $lab in [0-9][0-9]-*) ;; *)
    echo "nb-run: run me from a lab folder (labs/NN-name), not $lab_dir" >&2
    exit 1 ;;
esac
if [ "${KIT_NB_REF:-}" = 1 ]; then
    bin=$top/build/ref/$lab
    target=ref-$lab
else
    bin=$top/build/student/$lab
    target=student-$lab
fi
# Quiet unless the build fails; then its errors are the cell's output.
if ! log=$(make -s --no-print-directory -C "$top" "$target" 2>&1); then
    printf '%s\n' "$log"
    echo "[the build failed: fix the errors above, then run this cell again]"
    exit 1
fi
if [ ! -x "$bin/$prog" ]; then
    echo "nb-run: $lab has no program '$prog' (programs: $(cd "$bin" && ls -p | grep -v / | tr '\n' ' '))" >&2
    exit 1
fi
"$bin/$prog" "$@" 2>&1
status=$?
[ "$status" -ne 0 ] && echo "[exit status $status]"
if [ "$status" -ne "$want" ]; then
    echo "[the reference ends with status $want here: this cell stops the notebook]"
    exit 1
fi
exit 0
