"""The Python checkers' shared start: run in the pinned virtualenv tests/conformance/INSTALL.sh
made ($CONFORMANCE_HOME/venv), so that each verdict comes from the pinned versions."""
import importlib.util
import os
import sys


def ensure(modules):
    """Re-run the calling script in the pinned virtualenv if it exists and this is not it; fall
    back to the current interpreter only if that venv does not exist and `modules` import here;
    else exit 2 naming what is missing."""
    script = os.path.abspath(sys.argv[0])
    name = os.path.splitext(os.path.basename(script))[0]
    here = os.path.dirname(os.path.abspath(__file__))
    home = os.environ.get("CONFORMANCE_HOME") or os.path.join(here, "..", "..", ".tools", "conformance")
    venv = os.path.join(home, "venv")
    py = os.path.join(venv, "bin", "python")
    in_venv = os.path.realpath(sys.prefix) == os.path.realpath(venv)
    if os.path.exists(py) and not in_venv and not os.environ.get("_CONFORMANCE_REEXEC"):
        os.environ["_CONFORMANCE_REEXEC"] = "1"
        os.execv(py, [py, script] + sys.argv[1:])
    if all(importlib.util.find_spec(m) is not None for m in modules):
        return
    sys.stderr.write("%s: missing python modules %s; run tests/conformance/INSTALL.sh "
                     "(or set CONFORMANCE_HOME)\n" % (name, ", ".join(modules)))
    sys.exit(2)
