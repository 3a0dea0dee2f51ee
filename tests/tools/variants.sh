#!/usr/bin/env bash
# variants.sh [LAB] - no correct answer may fail: every
# tests/variants/NN-name/*.patch is a correct solution written another way
# (another output order, another legitimate design, extra harmless output,
# slower), applied to the reference like a mutant (tests/tools/mutants.sh,
# which does the work), built with its sanitizer twins, and every one of the
# lab's tests must pass on it. Prints a line per variant; exits 1 if any
# fails. MUTANT_JOBS and TIMED_LABS work as for mutants.
exec bash "$(dirname "$0")/mutants.sh" --variants "$@"
