# plots/plots.mk - the lecture's benchmarks and charts; included by the
# top Makefile, whose `all` (plain `make`) builds LECTURE_TARGETS.
#
#   make plots          run the reference benchmarks of labs 08 and 09 if
#                       their programs changed, then draw the charts
#   make plots-again    measure again (after a change of machine, or on a
#                       quieter one), then draw
#   make plots-examples draw, then copy the charts over plots/examples/
#                       (the ones the handouts show), to be committed
#
# The benchmarks print a line per variant as they go. Their measurements
# go to build/plots/data/*.dat (format: common/bench.h), the charts to
# build/plots/*.png and build/plots/*.svg; every chart says in its title
# which machine measured it. Everything drawn here stays under build/
# (ignored by git), so plain `make` leaves a clone clean: the charts the
# handouts show are committed apart, in plots/examples/, and only the
# lecturer's deliberate `make plots-examples` copies new ones there.
# On 2 cores the whole run takes about a minute and a half.
# The benchmarks run one after the other, never beside a compilation or
# each other, even under make -j.

LECTURE_TARGETS += plots

# A later lab that draws lecture charts adds them in plots/NN-name.mk
# (included at the end of this file): its rules, its charts' files appended
# to PLOT_FILES (for plots-examples), and a line `plots-charts: FILES`.

PLOTS_OUT  := $(BUILD)/plots
PLOTS_DATA := $(PLOTS_OUT)/data
FACTORIZE  := $(BUILD)/ref/08-factorization/factorize
ASSIGNMENT := $(BUILD)/ref/09-assignment/assignment
# The lecture's workloads (the programs' defaults); more runs of the short
# factorization benchmark so that its medians are steady.
FACTORIZE_ARGS  ?= -r 31
ASSIGNMENT_ARGS ?= -r 3
# What the data files record as the flags the programs were built with.
export BENCH_CFLAGS := $(filter -std=% -O% -march=% -mtune=% -pthread,$(CFLAGS_plain))

PLOT_CHARTS := $(addprefix $(PLOTS_OUT)/,factorization-bars factorization-speedup assignment)
PLOT_FILES  := $(foreach c,$(PLOT_CHARTS),$(c).png $(c).svg)

.PHONY: plots plots-charts plots-again plots-examples
# After `programs`: measure only once nothing is compiling.
plots: deps programs
	@$(MAKE) --no-print-directory plots-charts

plots-charts: $(PLOT_FILES)
	@echo "plots: the charts are in $(PLOTS_OUT)/: $(notdir $(PLOT_FILES))"

plots-again:
	rm -f $(PLOTS_DATA)/*.dat
	@$(MAKE) --no-print-directory plots

$(PLOTS_DATA)/factorization.dat: $(FACTORIZE)
	@mkdir -p $(@D)
	@echo "plots: lab 08's benchmark, factorization ($(notdir $<) $(FACTORIZE_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(FACTORIZE_ARGS) && \
	  echo "plots: lab 08's benchmark took $$((SECONDS - start)) s"

# Order-only: after the factorization benchmark and its charts, never beside.
$(PLOTS_DATA)/assignment.dat: $(ASSIGNMENT) | $(filter $(PLOTS_OUT)/factorization-%,$(PLOT_FILES))
	@mkdir -p $(@D)
	@echo "plots: lab 09's benchmark, the assignment ($(notdir $<) $(ASSIGNMENT_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(ASSIGNMENT_ARGS) && \
	  echo "plots: lab 09's benchmark took $$((SECONDS - start)) s"

$(PLOTS_OUT)/factorization-%.png $(PLOTS_OUT)/factorization-%.svg: plots/factorization-%.gp plots/common.gp $(PLOTS_DATA)/factorization.dat
	gnuplot -e "data='$(PLOTS_DATA)/factorization.dat'; out='$(PLOTS_OUT)/factorization-$*'" $<

$(PLOTS_OUT)/assignment.png $(PLOTS_OUT)/assignment.svg &: plots/assignment.gp plots/common.gp $(PLOTS_DATA)/assignment.dat
	gnuplot -e "data='$(PLOTS_DATA)/assignment.dat'; out='$(PLOTS_OUT)/assignment'" $<

# The lecturer's deliberate step (on a quiet machine): copy the charts just
# drawn over the committed examples that the handouts show, to commit them.
plots-examples: plots
	cp $(PLOT_FILES) plots/examples/
	@echo "plots: plots/examples/ updated from $(PLOTS_OUT)/; review, then commit"

-include $(wildcard plots/[0-9][0-9]-*.mk)
