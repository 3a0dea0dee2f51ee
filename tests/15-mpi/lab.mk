# Lab 15 is built with the MPI compiler wrapper (MPICH or Open MPI): it adds
# mpi.h and libmpi to every variant of the lab, the -tsan/-asan twins too.
CC_15-mpi := mpicc
