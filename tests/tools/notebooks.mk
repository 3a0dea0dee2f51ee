# The labs as Jupyter notebooks (included by the top Makefile; the script
# tests/tools/notebooks.py explains how a handout becomes a notebook).
#
#   make notebooks          regenerate labs/NN-name/NN-name.ipynb from the
#                           handouts (never edit a notebook by hand)
#   make notebook LAB=NN    start Jupyter on that lab's notebook (also
#                           `make notebook` in a lab folder); prints the URL
#                           to open; works as root and without a browser
#   make notebooks-html     one static HTML page per lab, charts embedded,
#                           into build/notebooks/ (a course website, an LMS)
#   make notebooks-run      execute every notebook headless against the
#                           reference programs and check that each Run
#                           cell printed what the handout shows (CI)
#
# Jupyter comes from Debian (no C kernel: the cells are %%bash cells of the
# Python kernel); the kit installs it the first time one of these needs it.

NB_OUT      := $(BUILD)/notebooks
NB_PORT     ?= 8888
NB_JOBS     ?= 2
.PHONY: notebooks notebook notebooks-html notebooks-run

notebooks:
	@python3 tests/tools/notebooks.py write

notebook:
	$(need_lab)
	@bash tests/tools/deps.sh notebooks
	@$(MAKE) --no-print-directory -s student-$(lab)
	@echo "Jupyter on labs/$(lab)/$(lab).ipynb: open the http://127.0.0.1:$(NB_PORT)/... URL it prints below; Ctrl-C twice to stop."
	@cd labs/$(lab) && PYDEVD_DISABLE_FILE_VALIDATION=1 jupyter notebook --no-browser \
	  --ip=127.0.0.1 --port=$(NB_PORT) $(if $(filter 0,$(shell id -u)),--allow-root) $(lab).ipynb

notebooks-html:
	@bash tests/tools/deps.sh notebooks
	@mkdir -p $(NB_OUT)
	@jupyter nbconvert --log-level=WARN --to html --HTMLExporter.embed_images=True \
	  --output-dir $(NB_OUT) labs/[0-9][0-9]-*/*.ipynb
	@echo "notebooks-html: $(NB_OUT)/*.html"

notebooks-run: deps
	@bash tests/tools/deps.sh notebooks
	@python3 tests/tools/notebooks.py check
	@$(MAKE) --no-print-directory -s $(foreach l,$(LABS),ref-$(l))
	@mkdir -p $(NB_OUT)/run
	@NB_JOBS=$(NB_JOBS) bash tests/tools/notebooks-run.sh $(NB_OUT)/run
