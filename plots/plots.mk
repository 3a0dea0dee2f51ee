# plots/plots.mk - the lecture's benchmarks and charts; included by the
# top Makefile, whose `all` (plain `make`) builds LECTURE_TARGETS.
#
#   make plots          run the reference benchmarks of labs 08 and 09 if
#                       their programs changed, then draw the charts
#   make plots-again    measure again (after a change of machine, or on a
#                       quieter one), then draw
#
# The benchmarks print a line per variant as they go. Their measurements
# go to plots/data/*.dat (format: common/bench.h), the charts to
# plots/*.png and plots/*.svg; every chart says in its title which machine
# measured it. On 2 cores the whole run takes about a minute and a half.
# The benchmarks run one after the other, never beside a compilation or
# each other, even under make -j.

LECTURE_TARGETS += plots

PLOTS_DATA := plots/data
FACTORIZE  := $(BUILD)/ref/08-factorization/factorize
ASSIGNMENT := $(BUILD)/ref/09-assignment/assignment
# The lecture's workloads (the programs' defaults); more runs of the short
# factorization benchmark so that its medians are steady.
FACTORIZE_ARGS  ?= -r 31
ASSIGNMENT_ARGS ?= -r 3
# What the data files record as the flags the programs were built with.
export BENCH_CFLAGS := $(filter -std=% -O% -march=% -mtune=% -pthread,$(CFLAGS_plain))

PLOT_CHARTS := plots/factorization-bars plots/factorization-speedup plots/assignment
PLOT_FILES  := $(foreach c,$(PLOT_CHARTS),$(c).png $(c).svg)

.PHONY: plots plots-charts plots-again
# After `programs`: measure only once nothing is compiling.
plots: deps programs
	@$(MAKE) --no-print-directory plots-charts

plots-charts: $(PLOT_FILES)
	@echo "plots: the charts are in plots/: $(notdir $(PLOT_FILES))"

plots-again:
	rm -f $(PLOTS_DATA)/*.dat
	@$(MAKE) --no-print-directory plots

$(PLOTS_DATA)/factorization.dat: $(FACTORIZE)
	@mkdir -p $(@D)
	@echo "plots: lab 08's benchmark, factorization ($(notdir $<) $(FACTORIZE_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(FACTORIZE_ARGS) && \
	  echo "plots: lab 08's benchmark took $$((SECONDS - start)) s"

# Order-only: after the factorization benchmark and its charts, never beside.
$(PLOTS_DATA)/assignment.dat: $(ASSIGNMENT) | $(filter plots/factorization-%,$(PLOT_FILES))
	@mkdir -p $(@D)
	@echo "plots: lab 09's benchmark, the assignment ($(notdir $<) $(ASSIGNMENT_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(ASSIGNMENT_ARGS) && \
	  echo "plots: lab 09's benchmark took $$((SECONDS - start)) s"

plots/factorization-%.png plots/factorization-%.svg: plots/factorization-%.gp plots/common.gp $(PLOTS_DATA)/factorization.dat
	gnuplot -e "data='$(PLOTS_DATA)/factorization.dat'; out='plots/factorization-$*'" $<

plots/assignment.png plots/assignment.svg &: plots/assignment.gp plots/common.gp $(PLOTS_DATA)/assignment.dat
	gnuplot -e "data='$(PLOTS_DATA)/assignment.dat'; out='plots/assignment'" $<
