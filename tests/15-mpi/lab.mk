# Lab 15 is built with the MPI compiler wrapper (MPICH or Open MPI): it adds
# mpi.h and libmpi to every variant of the lab, the -tsan/-asan twins too.
CC_15-mpi := mpicc

# Open MPI refuses to run as root, and to start more ranks than cores,
# unless told; MPICH needs neither flag. Asked of mpirun only when used.
MPIRUN_FLAGS_15-mpi = $(if $(shell mpirun --version 2>/dev/null | grep -i 'open mpi'),--allow-run-as-root --oversubscribe)
# What `make run` puts before a program of this lab: mpirun with NP ranks
# (default 4), except for startup, which is no MPI program (it runs
# mpirun itself). Used by tests/tools/run-prog.sh as KIT_RUN_LAUNCHER.
RUN_LAUNCHER_15-mpi = $(if $(filter startup,$(PROG)),,mpirun $(MPIRUN_FLAGS_15-mpi) -np $(or $(NP),4))
# Where mpi.h is, for clang-tidy (make lint), which does not go through
# mpicc: used once the Makefile adds $(TIDY_FLAGS_LABS) to TIDY_FLAGS.
TIDY_FLAGS_LABS += $(shell mpicc -show 2>/dev/null | grep -o -- '-I[^ ]*')
# Under valgrind, MPICH's hwloc and UCX print their own complaints (hwloc's
# CPUID backend, UCX's memory hooks), which would read as the student's:
# make check SAN=valgrind refuses the lab with this line (make valgrind
# leaves it out too). SAN=asan and SAN=tsan check lab 15's code instead.
SAN_REFUSED_15-mpi := valgrind
SAN_REFUSED_WHY_15-mpi := MPICH's own libraries (hwloc, UCX) report under valgrind; use SAN=asan (memory errors, leaks) or SAN=tsan (races) instead
