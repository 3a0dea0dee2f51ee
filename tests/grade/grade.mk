# Grading a class (included by the top Makefile; tests/grade/grade.sh
# explains everything):
#
#   make grade SUBMISSIONS=DIR [JOBS=N] [FRESH=1] [GRADE_LABS="01 03"]
#              [GRADE_OUT=build/grade]
#
# DIR holds one folder per student shaped like labs/. Writes
# GRADE_OUT/gradebook.csv, results/NAME.tsv and feedback/NAME.md. Re-running
# grades only what changed; FRESH=1 starts over. Run it as root for the full
# box (own user, cgroup limits) around every submission.

GRADE_OUT ?= $(BUILD)/grade
.PHONY: grade
grade: deps
	@$(if $(SUBMISSIONS),,$(error Say where the submissions are: make grade SUBMISSIONS=DIR))
	@$(MAKE) --no-print-directory -s $(TEST_BIN) $(BUILD)/lib/plain/libkit.a
	@bash tests/grade/grade.sh -j $(or $(JOBS),1) $(if $(FRESH),--fresh) \
	  $(if $(GRADE_LABS),--labs "$(GRADE_LABS)") "$(SUBMISSIONS)" "$(GRADE_OUT)"
