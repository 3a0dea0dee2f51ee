#!/usr/bin/env bash
# starter.sh --write | --check [LAB...]
#
# The starters in labs/ are generated from the references in solutions/,
# so that the code both share cannot drift apart (nbgrader's idea, in C).
# In a reference file:
#
#     /* TODO(03.2): close the write end the reader does not use. Hint: ... */
#     /* BEGIN SOLUTION */
#     if (close(fds[1]) == -1)
#         die("close");
#     /* END SOLUTION */
#     /* STARTER
#     (void)fds;
#     STARTER */
#
# the starter keeps the TODO comment, drops everything from BEGIN SOLUTION
# to END SOLUTION, and keeps the lines between STARTER markers (code that
# only the starter needs so that it compiles warning-free and runs: a stub
# return value, a (void) cast), without the markers. Every other line,
# every .h and .c file of solutions/NN-name/, is copied as it is.
#
# --write regenerates labs/NN-name/ (maintainers only: it overwrites
# the starter files); --check prints what differs and exits 1 if anything does.
set -u
mode=${1:-}
shift || true
case $mode in --write|--check) ;; *) echo "usage: $0 --write|--check [LAB...]" >&2; exit 2 ;; esac
if [ ! -d solutions ]; then
    echo "starter: no solutions/ folder here (a student copy of the kit): nothing to do"
    exit 0
fi

# The transformation, as an awk program: reads a reference, prints a starter.
to_starter() {
    awk '
        /^[ \t]*\/\* BEGIN SOLUTION \*\/[ \t]*$/ { if (skip) err("nested BEGIN"); skip = 1; next }
        /^[ \t]*\/\* END SOLUTION \*\/[ \t]*$/   { if (!skip) err("END without BEGIN"); skip = 0; next }
        /^[ \t]*\/\* STARTER[ \t]*$/             { if (stub || skip) err("misplaced STARTER"); stub = 1; next }
        /^[ \t]*STARTER \*\/[ \t]*$/             { if (!stub) err("STARTER end without start"); stub = 0; next }
        !skip { print }
        function err(what) { printf "%s:%d: %s\n", FILENAME, FNR, what > "/dev/stderr"; bad = 1 }
        END { if (skip || stub) err("unclosed marker"); exit bad }
    ' "$1"
}

labs=("$@")
[ ${#labs[@]} -eq 0 ] && labs=($(cd solutions && ls -d [0-9][0-9]-* 2>/dev/null))
status=0
for lab in "${labs[@]}"; do
    for ref in solutions/"$lab"/*.[ch]; do
        [ -e "$ref" ] || continue
        starter=labs/$lab/$(basename "$ref")
        generated=$(to_starter "$ref") || { status=1; continue; }
        if [ "$mode" = --write ]; then
            if [ ! -f "$starter" ] || [ "$generated" != "$(cat "$starter")" ]; then
                mkdir -p "labs/$lab"
                printf '%s\n' "$generated" > "$starter"
                echo "starter: wrote $starter"
            fi
        elif [ ! -f "$starter" ]; then
            echo "starter: $starter is missing (run make starters)"
            status=1
        elif ! diff -u --label "$starter (generated from $ref)" --label "$starter" \
                <(printf '%s\n' "$generated") "$starter"; then
            echo "starter: $starter differs from what $ref generates (run make starters)"
            status=1
        fi
    done
    for starter in labs/"$lab"/*.[ch]; do
        [ -e "$starter" ] || continue
        [ -f "solutions/$lab/$(basename "$starter")" ] && continue
        echo "starter: $starter has no reference in solutions/$lab"
        status=1
    done
done
exit $status
