#!/usr/bin/env bash
# make-class.sh OUT - assemble the sample class into OUT (one folder per
# student, shaped like labs/), for tests/grade.c and for trying make grade.
#
# Each tests/grade/sample/<student>/<lab>/ holds a file FROM and the
# student's own files. FROM says what the rest of the folder starts from:
# "reference" (solutions/<lab>/), "starter" (labs/<lab>/), optionally
# followed by the only file names to take from there. The reference is
# copied at assembly time, never stored here: tests/ ships to students.
# EXPECTED lists each student's score and the reasons the feedback gives.
set -eu
cd "$(dirname "$0")/../../.."
out=$1
rm -rf "$out"
for dir in tests/grade/sample/*/*/; do
    student=$(basename "$(dirname "$dir")")
    lab=$(basename "$dir")
    [ -d "labs/$lab" ] || continue
    mkdir -p "$out/$student/$lab"
    read -r from files <"$dir/FROM"
    case $from in
        reference) base=solutions/$lab ;;
        starter) base=labs/$lab ;;
        *) echo "make-class: $dir/FROM: unknown '$from'" >&2; exit 1 ;;
    esac
    [ -d "$base" ] || { echo "make-class: $base is missing" >&2; exit 1; }
    if [ -z "$files" ]; then
        files=$(cd "labs/$lab" && ls -- *.[ch])
    fi
    for f in $files; do cp "$base/$f" "$out/$student/$lab/$f"; done
    for f in "$dir"*; do
        [ "$(basename "$f")" = FROM ] || cp "$f" "$out/$student/$lab/"
    done
done
