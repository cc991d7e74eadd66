#!/usr/bin/env python3
"""validate-spdx3.py FILE

Judge an SPDX 3.0 JSON-LD document with an independent implementation:
spdx-python-model, the SPDX project's Python bindings generated (by shacl2code) from
the SPDX 3.0.1 RDF model and SHACL shapes. Three passes, all offline (the bindings
carry the model; nothing is fetched):

 1. JSONLDDeserializer: every object must be of a known class, every property known
    to its class, every value of the property's type, every enum value in its list
    (e.g. externalRefType), every pattern met (e.g. contentType).
 2. SHACLObjectSet.link(): every element ID a property names must be defined in the
    document or declared as imported (SpdxDocument.import[].externalSpdxId).
 3. JSONLDSerializer: writing the set back enforces the shapes' cardinalities
    (required properties, at most one value where one is allowed).

The UTF-8 file is read as JSON first. Exit: 0 valid, 1 invalid (errors printed one per
line, indented), 2 usage/setup error.
"""
import io
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: validate-spdx3.py FILE\n")
        return 2
    path = argv[0]
    _ensure_env(["spdx_python_model"])
    from importlib.metadata import version
    from spdx_python_model.bindings import v3_0_1 as model

    print("validate-spdx3: judged by spdx-python-model %s (SPDX 3.0.1 bindings)" % version("spdx-python-model"))
    print("validate-spdx3: file=%s" % path)
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print("validate-spdx3: INVALID (not JSON)")
        print("  %s" % e)
        return 1
    errors = []
    objects = model.SHACLObjectSet()
    try:
        model.JSONLDDeserializer().deserialize_data(data, objects)
    except Exception as e:  # the bindings raise KeyError/TypeError/ValueError
        errors.append("deserialize: %s: %s" % (type(e).__name__, e))
    if not errors:
        imported = set()
        for doc in objects.foreach_type(model.SpdxDocument):
            for m in doc.import_:
                if m.externalSpdxId:
                    imported.add(m.externalSpdxId)
        for missing in sorted(objects.link() - imported):
            errors.append("link: %s is referenced but defined nowhere and not imported" % missing)
        try:
            model.JSONLDSerializer().write(objects, io.BytesIO())
        except Exception as e:
            errors.append("serialize: %s: %s" % (type(e).__name__, e))
    # Object identities (memory addresses) vary from run to run; drop them so
    # that two runs' messages compare equal.
    import re
    errors = [re.sub(r" \(\d+\)", "", e) for e in errors]
    if errors:
        print("validate-spdx3: INVALID")
        for e in errors:
            print("  %s" % e)
        return 1
    print("validate-spdx3: %d objects" % len(objects.objects))
    print("validate-spdx3: VALID")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
