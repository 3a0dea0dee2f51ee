#!/usr/bin/env bash
# deps.sh - make sure what the kit needs from Debian is installed.
#
# The kit needs: a C compiler and make (build-essential), Criterion (tests),
# pkg-config (to find Criterion), gnuplot (the lecture plots), valgrind,
# bubblewrap (the box that make grade builds and tests every submission in),
# and what the later labs use: OpenSSL's libcrypto (lab 14's digests), MPICH
# (lab 15's mpicc and mpirun), inotify-tools (make watch).
# `deps.sh lint` adds clang-format and clang-tidy.
# As root with apt-get it installs what is missing, non-interactively;
# otherwise it prints the exact command to run and stops with status 1.
set -u

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists criterion 2>/dev/null && [ ! -f /usr/include/criterion/criterion.h ]; then
    missing+=(libcriterion-dev)
fi
command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
command -v mpicc >/dev/null 2>&1 || missing+=(mpich libmpich-dev)
command -v inotifywait >/dev/null 2>&1 || missing+=(inotify-tools)
# `deps.sh notebooks`: Jupyter, to run the labs' notebooks (make notebook).
if [ "${1:-}" = notebooks ]; then
    # Debian's python (jupyter runs on it), not another one first on PATH
    /usr/bin/python3 -c 'import nbclient, nbformat, ipykernel' 2>/dev/null ||
        missing+=(python3-nbclient python3-nbformat python3-ipykernel python3-nbconvert)
    command -v jupyter-nbconvert >/dev/null 2>&1 || missing+=(jupyter-nbconvert)
    command -v jupyter-notebook >/dev/null 2>&1 || missing+=(jupyter-notebook)
fi
# `deps.sh lint`: also the formatter and the linter (make lint, CI).
if [ "${1:-}" = lint ]; then
    command -v clang-format >/dev/null 2>&1 || missing+=(clang-format)
    command -v clang-tidy >/dev/null 2>&1 || missing+=(clang-tidy)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing ${missing[*]} (once) ..."
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -q >/tmp/kit-apt.log 2>&1 &&
       apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/kit-apt.log 2>&1; then
        echo "deps: installed ${missing[*]}"
        exit 0
    fi
    echo "deps: the install failed; the last lines of /tmp/kit-apt.log:" >&2
    tail -n 15 /tmp/kit-apt.log >&2
    echo "deps: fix the cause above, then run: $line" >&2
    exit 1
fi

echo "deps: the kit needs ${missing[*]}, and cannot install them itself" >&2
echo "      (that takes root and Debian's apt-get). Run, then try again:" >&2
echo "      sudo apt-get update && sudo $line" >&2
exit 1
