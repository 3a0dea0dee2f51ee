#!/usr/bin/env python3
"""notebooks.py - the Jupyter notebook of every lab, made from its handout.

The handout (labs/NN-name/README.md) is the one source: this script turns
it into labs/NN-name/NN-name.ipynb, never the other way round, so a
notebook is never edited by hand.

    notebooks.py write [LAB...]   (re)write the notebooks
    notebooks.py check [LAB...]   exit 1 if a notebook is not what its
                                  handout makes (make audit runs this)
    notebooks.py compare RUN.ipynb
                                  after a headless run against the
                                  references: every Run cell's output must
                                  have the shape of the handout's (see
                                  compare_cell)

How a handout becomes a notebook: the text between Run cells becomes
Markdown cells, one per section (a `## ` heading starts a new one). Each
Run cell of the handout, a marker and a fenced block,

    <!-- run: hello -s 300 [| pipeline] -->
    ```text
    $ make run PROG=hello ARGS="-s 300"
    ...what the reference printed...
    [exit status 2]
    ```

becomes a `%%bash` code cell that builds and runs the student's own
program (tests/tools/nb-run.sh), with what the reference printed stored as
its output: the notebook reads complete before it is run, and shows the
student's output after. The exit status the reference had is passed to
nb-run.sh, so a cell that fails on purpose does not stop the notebook and
one that fails by surprise does.

Standard library only (the notebook format is JSON, nbformat 4).
"""
import json
import pathlib
import re
import sys

TOP = pathlib.Path(__file__).resolve().parents[2]
RUN_MARKER = re.compile(r"^<!-- run: (.*) -->$")
STATUS_LINE = re.compile(r"^\[exit status (\d+)\]$")


def lab_dirs(names):
    """The lab folders named (NN or NN-name), or all of them."""
    labs = sorted(p for p in (TOP / "labs").glob("[0-9][0-9]-*") if p.is_dir())
    if not names:
        return labs
    chosen = [p for p in labs if p.name in names or p.name[:2] in names]
    if len(chosen) != len(names):
        sys.exit(f"notebooks: no such lab among {names}")
    return chosen


def lines_cell(kind, lines, **extra):
    """A notebook cell whose source is the given lines."""
    text = "\n".join(lines).strip("\n")
    cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(True)}
    cell.update(extra)
    return cell


def run_cell(marker, block):
    """The code cell for one Run cell of the handout."""
    command, _, pipeline = marker.partition(" | ")
    shown = block[0] if block and block[0].startswith("$ ") else ""
    printed = block[1:] if shown else block
    status = 0
    if printed and STATUS_LINE.match(printed[-1]):
        status = int(STATUS_LINE.match(printed[-1]).group(1))
    source = ["%%bash"]
    if shown:
        source.append(f"# {shown[2:]}   (in a terminal, in this folder)")
    if status:
        source.append(f"# The reference exits with status {status} here, on purpose.")
    line = f"../../tests/tools/nb-run.sh {status} {command}"
    if pipeline:
        source.insert(1, "set -o pipefail")
        line += f" | {pipeline}"
    source.append(line)
    output = {"name": "stdout", "output_type": "stream",
              "text": [l + "\n" for l in printed]}
    return lines_cell("code", source, execution_count=None, outputs=[output])


def notebook(readme):
    """The notebook (a dict) for one handout."""
    cells, text = [], []
    lines = readme.read_text().splitlines()
    i = 0
    def flush():
        if any(l.strip() for l in text):
            cells.append(lines_cell("markdown", text))
        text.clear()
    while i < len(lines):
        line = lines[i]
        m = RUN_MARKER.match(line)
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            j = i + 2
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            flush()
            cells.append(run_cell(m.group(1), lines[i + 2:j]))
            i = j + 1
            continue
        if line.startswith("## "):
            flush()
        text.append(line)
        i += 1
    flush()
    cells.insert(1, lines_cell("markdown", [
        "> **How to use this notebook.** It is made from this lab's `README.md`"
        " (`make notebooks`); the outputs you see first are what the"
        " reference solution printed. Each *Run* cell builds **your** program"
        " from this folder and runs it: run the cells in order (Shift-Enter)"
        " to see your own output. A cell that stops with a message shows"
        " where your program differs from the reference. In a terminal,"
        " `make check` runs the tests.",
    ]))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)",
                           "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "kit": {"generated-from": "README.md",
                    "by": "tests/tools/notebooks.py (do not edit by hand)"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def rendered(readme):
    nb = notebook(readme)
    for k, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{k:03d}"  # stable ids: the file changes only with the handout
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def path_of(lab):
    return lab / f"{lab.name}.ipynb"


def write(names):
    for lab in lab_dirs(names):
        text = rendered(lab / "README.md")
        target = path_of(lab)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"notebooks: wrote {target.relative_to(TOP)}")


def check(names):
    stale = [path_of(lab) for lab in lab_dirs(names)
             if not path_of(lab).exists()
             or path_of(lab).read_text() != rendered(lab / "README.md")]
    for p in stale:
        print(f"notebooks: {p.relative_to(TOP)} is not what its handout makes: "
              "run `make notebooks`")
    return 1 if stale else 0


def shape(lines):
    """Lines with every number replaced by '#': pids, times and counts
    change from run to run, the sentences around them do not."""
    return [re.sub(r"\d+(\.\d+)?", "#", l.rstrip()) for l in lines if l.strip()]


def kinds(lines):
    """What a line is about: its text before the first number."""
    return {re.split(r"\d", l, maxsplit=1)[0].strip() for l in lines if l.strip()}


def compare_cell(stored, got):
    """None if the executed output has the handout's shape, else why not.
    Deterministic programs print the same lines, numbers aside; the others
    (races, timings, interleavings) print lines of the same kinds: at least
    half of the kinds, counted over both outputs, are shared."""
    if shape(stored) == shape(got):
        return None
    a, b = kinds(stored), kinds(got)
    if a and b and len(a & b) * 2 >= len(a | b):
        return None
    return (f"expected lines like:\n  " + "\n  ".join(stored[:8]) +
            "\nbut the cell printed:\n  " + "\n  ".join(got[:8]))


def compare(executed):
    nb = json.loads(pathlib.Path(executed).read_text())
    lab = pathlib.Path(executed).stem
    source = notebook(TOP / "labs" / lab / "README.md")
    stored = [c for c in source["cells"] if c["cell_type"] == "code"]
    ran = [c for c in nb["cells"] if c["cell_type"] == "code"]
    bad = 0
    for k, (want, got) in enumerate(zip(stored, ran), 1):
        text = lambda c: "".join(
            "".join(o.get("text", [])) for o in c.get("outputs", [])
            if o.get("output_type") == "stream").splitlines()
        why = compare_cell(text(want), text(got))
        if why:
            bad += 1
            print(f"notebooks: {lab}, Run cell {k}: {why}")
    if len(stored) != len(ran):
        bad += 1
        print(f"notebooks: {lab}: {len(ran)} code cells, want {len(stored)}")
    print(f"notebooks: {lab}: {len(ran)} Run cells, "
          f"{'all of the handout' + chr(39) + 's shape' if not bad else str(bad) + ' differ'}")
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("write", "check", "compare"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[1] == "write":
        write(argv[2:])
        return 0
    if argv[1] == "check":
        return check(argv[2:])
    return max((compare(p) for p in argv[2:]), default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
