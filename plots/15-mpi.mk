# plots/15-mpi.mk - lab 15's chart (included by plots/plots.mk): the
# factorization on 1, 2 and 4 MPI ranks (one mpirun of 4 ranks measuring
# each count in a communicator of its own), drawn beside lab 08's threads
# and processes. About 10 s on 2 cores. MPIRUN_FLAGS_15-mpi (Open MPI's
# root and oversubscribe flags) comes from tests/15-mpi/lab.mk.

MPIFACTOR      := $(BUILD)/ref/15-mpi/mpifactor
MPIFACTOR_NP   ?= 4
MPIFACTOR_ARGS ?= -w 1,2,4 -r 11
MPI_CHART      := $(PLOTS_OUT)/15-mpi
PLOT_FILES     += $(MPI_CHART).png $(MPI_CHART).svg

# Order-only: after the other benchmarks and their charts, never beside.
$(PLOTS_DATA)/mpi-factorization.dat: $(MPIFACTOR) | $(filter-out $(MPI_CHART).%,$(PLOT_FILES))
	@mkdir -p $(@D)
	@echo "plots: lab 15's benchmark, mpirun -np $(MPIFACTOR_NP) $(notdir $<) $(MPIFACTOR_ARGS):"
	@start=$$SECONDS; mpirun $(MPIRUN_FLAGS_15-mpi) -np $(MPIFACTOR_NP) $< -o $@ $(MPIFACTOR_ARGS) && \
	  echo "plots: lab 15's benchmark took $$((SECONDS - start)) s"

$(MPI_CHART).png $(MPI_CHART).svg &: plots/15-mpi.gp plots/common.gp $(PLOTS_DATA)/factorization.dat $(PLOTS_DATA)/mpi-factorization.dat
	gnuplot -e "data='$(PLOTS_DATA)/factorization.dat'; mpidata='$(PLOTS_DATA)/mpi-factorization.dat'; out='$(MPI_CHART)'" $<

plots-charts: $(MPI_CHART).png $(MPI_CHART).svg
