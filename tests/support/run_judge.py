#!/usr/bin/env python3
"""Run one of tests/conformance's Python checkers, unchanged, over many
inputs in a single process, so that a test can judge hundreds of files without
paying the interpreter and library start-up each time.

    run_judge.py SPEC.json

SPEC: {"script": PATH, "runs": [[ARG, ...], ...], "skip_formats": [NAME, ...]}
Each run calls the script's main() with sys.argv = [script] + ARGs, capturing
its output. "skip_formats" removes JSON Schema format checkers (the script then
prints its own warning that they were not checked). Prints a JSON list of
[exit code, output] per run.
"""
import contextlib
import importlib.util
import io
import json
import sys


def main():
    spec = json.load(open(sys.argv[1]))
    path = spec["script"]
    module_spec = importlib.util.spec_from_file_location("judge", path)
    judge = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(judge)
    if spec.get("skip_formats"):
        from jsonschema.validators import Draft7Validator
        for name in spec["skip_formats"]:
            Draft7Validator.FORMAT_CHECKER.checkers.pop(name, None)
    results = []
    for args in spec["runs"]:
        sys.argv = [path] + list(args)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                code = judge.main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 2
            except Exception as e:  # a crash in the judge is a failed judgement
                print("run_judge: %s: %r" % (type(e).__name__, e))
                code = 3
        results.append([code if code is not None else 0, buf.getvalue()])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
