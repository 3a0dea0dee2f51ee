#!/usr/bin/env bash
# handouts.sh [LAB...] - refresh the *Run* cells of the handouts with what
# the reference programs really print.
#
# In labs/NN-name/README.md, a cell is a marker line followed by a fenced
# block:
#
#     <!-- run: hello -n 3 -->
#     ```text
#     (anything: replaced)
#     ```
#
# The block is replaced with the command a student types and what
# build/ref/NN-name/hello -n 3 printed (stdout and stderr, as on a
# terminal), plus the exit status when it is not 0. A marker may end with
# a pipeline, `<!-- run: tree -d 2 | grep born -->`: the output goes
# through it (run by bash in the kit's top folder). Programs must be built
# first (make handouts does that).
set -u
cd "$(dirname "$0")/../.." || exit 1
labs=("$@")
[ ${#labs[@]} -eq 0 ] && labs=($(cd labs && ls -d [0-9][0-9]-*))
for lab in "${labs[@]}"; do
    readme=labs/$lab/README.md
    [ -f "$readme" ] || continue
    out=$(mktemp)
    in_old_block=0 expect_block=0 cells=0
    while IFS= read -r line || [ -n "$line" ]; do
        if [ $in_old_block -eq 1 ]; then
            [[ $line == '```'* ]] && in_old_block=0
            continue
        fi
        if [ $expect_block -eq 1 ] && [[ $line == '```'* ]]; then
            in_old_block=1 expect_block=0
            continue
        fi
        expect_block=0
        printf '%s\n' "$line" >>"$out"
        if [[ $line =~ ^\<!--\ run:\ ([^ |]+)(\ ([^|]*[^ |]))?(\ \|\ (.*))?\ --\>$ ]]; then
            prog=${BASH_REMATCH[1]} args=${BASH_REMATCH[3]} pipeline=${BASH_REMATCH[5]}
            shown="\$ make run PROG=$prog"
            [ -n "$args" ] && shown+=" ARGS=\"$args\""
            [ -n "$pipeline" ] && shown+=" | $pipeline"
            {
                echo '```text'
                echo "$shown"
                # word splitting of $args is wanted: it holds the arguments
                # shellcheck disable=SC2086
                if [ -n "$pipeline" ]; then
                    timeout 120 "build/ref/$lab/$prog" $args </dev/null 2>&1 | bash -c "$pipeline"
                    rc=${PIPESTATUS[0]}
                else
                    timeout 120 "build/ref/$lab/$prog" $args 2>&1
                    rc=$?
                fi
                [ $rc -ne 0 ] && echo "[exit status $rc]"
                echo '```'
            } >>"$out"
            expect_block=1 cells=$((cells + 1))
        fi
    done <"$readme"
    if cmp -s "$out" "$readme"; then
        rm -f "$out"
    else
        mv "$out" "$readme"
    fi
    echo "handouts: $readme: $cells run cells refreshed"
done
