# plots/10-io-bound.mk - lab 10's lecture chart: 8 pages of 200 ms fetched
# serially, with 8 threads and with 8 processes (bars: medians, error bars
# min..max). Included at the end of plots/plots.mk. The benchmark runs
# after lab 09's (order-only), never beside another one; it takes about
# 10 s (5 runs per mode: 5 x 1.6 s serially, 5 x 0.2 s for the others).

IOBOUND      := $(BUILD)/ref/10-io-bound/fetch
IOBOUND_ARGS ?= -r 5
IOBOUND_CHART := $(PLOTS_OUT)/10-io-bound
PLOT_FILES += $(IOBOUND_CHART).png $(IOBOUND_CHART).svg

$(PLOTS_DATA)/10-io-bound.dat: $(IOBOUND) | $(PLOTS_DATA)/assignment.dat
	@mkdir -p $(@D)
	@echo "plots: lab 10's benchmark, pages from a slow server ($(notdir $<) $(IOBOUND_ARGS)):"
	@start=$$SECONDS; $< -o $@ $(IOBOUND_ARGS) | grep -v ' ok$$' && \
	  echo "plots: lab 10's benchmark took $$((SECONDS - start)) s"

$(IOBOUND_CHART).png $(IOBOUND_CHART).svg &: plots/10-io-bound.gp plots/common.gp $(PLOTS_DATA)/10-io-bound.dat
	gnuplot -e "data='$(PLOTS_DATA)/10-io-bound.dat'; out='$(IOBOUND_CHART)'" $<

plots-charts: $(IOBOUND_CHART).png $(IOBOUND_CHART).svg
