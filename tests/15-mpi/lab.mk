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
