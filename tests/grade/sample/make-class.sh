#!/usr/bin/env bash
# make-class.sh OUT [STUDENT...] - assemble the sample class into OUT (one
# folder per student, shaped like labs/), for tests/grade.c and for trying
# make grade; only the STUDENTs named, if any (then without the attacks
# made here below).
#
# Each tests/grade/sample/<student>/<lab>/ holds a file FROM and the
# student's own files. FROM says what the rest of the folder starts from:
# "reference" (solutions/<lab>/), "starter" (labs/<lab>/), optionally
# followed by the only file names to take from there. The reference is
# copied at assembly time, never stored here: tests/ ships to students.
# "@KIT@" in a student's file becomes the kit's absolute path.
#
# Then the attacks that cannot live in git: special files handed in as
# lab files, links (a lab folder to the reference or a classmate, a
# student folder to a classmate), a make dependency file, and student
# folder names no grader should trust (a newline, a formula, an escape
# sequence, quotes and a trailing space, ...).
# EXPECTED lists each student's score and the reasons the feedback gives.
set -eu
cd "$(dirname "$0")/../../.."
kit=$(pwd -P)
out=$1
shift
rm -rf "$out"
mkdir -p "$out"
for dir in tests/grade/sample/*/*/; do
    student=$(basename "$(dirname "$dir")")
    lab=$(basename "$dir")
    [ -d "labs/$lab" ] || continue
    [ $# -eq 0 ] || [[ " $* " == *" $student "* ]] || continue
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
        [ "$(basename "$f")" = FROM ] && continue
        sed "s|@KIT@|$kit|g" "$f" >"$out/$student/$lab/$(basename "$f")"
    done
done

[ $# -eq 0 ] || exit 0
lab=01-hello-process
ref=$out/reference/$lab
# Special files as lab files: a link to /dev/zero, a FIFO, a sparse 4 GiB
# file. Root must refuse each by its type or size, without reading it.
mkdir -p "$out/specials/$lab"
ln -s /dev/zero "$out/specials/$lab/hello.c"
mkfifo "$out/specials/$lab/threads.c"
truncate -s 4G "$out/specials/$lab/sleeps.c"
# A make dependency file beside the lab's files (planted/ also writes
# some from its program).
# shellcheck disable=SC2016 # make syntax, not the shell's
printf '%s\n' '$(shell touch /tmp/kit-sample-pwned-by-d)' >"$out/planted/$lab/evil.d"
# A lab folder that is a link to the reference, one to a classmate's; a
# student folder that is a link to a classmate.
mkdir -p "$out/linkref" "$out/linkmate"
ln -s "$kit/solutions/$lab" "$out/linkref/$lab"
ln -s "../reference/$lab" "$out/linkmate/$lab"
ln -s reference "$out/linkstudent"
# Names: each folder holds the reference; none may be graded.
for name in $'new\nline' '=HYPERLINK("kit.invalid","click")' '+cmd' '-rf' \
    '@SUM(1+1)' $'\e[31mred\e[0m\e]0;title\a' '"quoted" name ' '.hidden' $'tab\there' 'cr'$'\r'; do
    mkdir -p "$out/$name"
    cp -R "$ref" "$out/$name/"
done
