# plots/14-integrity.mk - lab 14's benchmark and chart, included at the end
# of plots/plots.mk: hashbench hashes one generated tree (in the page
# cache) serially and with 2, 4, 8 threads and processes; the chart puts
# the medians beside each other with the CPU time of each run.
# About 10 s on an idle 2-core machine with -r 3 (1 warm-up + 3 runs of 7
# variants, plus making the 88 MiB tree in /tmp, removed afterwards).

INTEGRITY_BENCH := $(BUILD)/ref/14-integrity/hashbench
INTEGRITY_ARGS  ?= -r 3
INTEGRITY_CHART := $(PLOTS_OUT)/14-integrity
PLOT_FILES      += $(INTEGRITY_CHART).png $(INTEGRITY_CHART).svg

# Order-only: after lab 09's benchmark and chart, never beside them.
# Order-only: after every chart drawn before this file was included (the
# benchmarks must never run side by side, even under make -j).
$(PLOTS_DATA)/integrity.dat: $(INTEGRITY_BENCH) | $(filter-out $(INTEGRITY_CHART).%,$(PLOT_FILES))
	@mkdir -p $(@D)
	@echo "plots: lab 14's benchmark, hashing a tree ($(notdir $<) $(INTEGRITY_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(INTEGRITY_ARGS) && \
	  echo "plots: lab 14's benchmark took $$((SECONDS - start)) s"

$(INTEGRITY_CHART).png $(INTEGRITY_CHART).svg &: plots/14-integrity.gp plots/common.gp $(PLOTS_DATA)/integrity.dat
	gnuplot -e "data='$(PLOTS_DATA)/integrity.dat'; out='$(INTEGRITY_CHART)'" $<

plots-charts: $(INTEGRITY_CHART).png $(INTEGRITY_CHART).svg
