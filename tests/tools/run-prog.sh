#!/usr/bin/env bash
# run-prog.sh DIR PROG PROGRAMS... -- ARGS... - make run: run DIR/PROG
# (the first of PROGRAMS when PROG is empty) with ARGS, then say how it
# ended. Exits 0 once the program has run, whatever its status (the status
# line says it; make would otherwise add its own "*** Error" lines), and 2
# for a program the lab does not have, listing the ones it has.
set -u
dir=$1 prog=$2
shift 2
progs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do progs+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ -n "$prog" ] || prog=${progs[0]:-}
found=0
for p in "${progs[@]}"; do [ "$p" = "$prog" ] && found=1; done
if [ $found -eq 0 ]; then
    echo "make run: this lab has no program '$prog'. Its programs: ${progs[*]}" >&2
    echo "  e.g. make run PROG=${progs[0]:-name} ARGS=\"...\"" >&2
    exit 2
fi
# KIT_RUN_LAUNCHER (from a lab's tests/NN/lab.mk, e.g. mpirun -np 4) goes
# in front, split into words on purpose.
# shellcheck disable=SC2086
${KIT_RUN_LAUNCHER:-} "$dir/$prog" "$@"
status=$?
if [ $status -gt 128 ]; then
    sig=$((status - 128))
    echo "[$prog was killed by signal $sig ($(kill -l $sig 2>/dev/null || echo '?'))]"
else
    echo "[$prog exited with status $status]"
fi
exit 0
