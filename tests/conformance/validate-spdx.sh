#!/usr/bin/env bash
# validate-spdx.sh FILE [--version SPDX-2.2|SPDX-2.3] [--no-schema]
#
# Validate an SPDX 2.2/2.3 document with independent third-party tools:
#   1. spdx-tools (pyspdxtools -i FILE): parses JSON / tag-value / RDF-XML / YAML / XML
#      into the SPDX model and runs its full semantic validation (SPDXID references,
#      license expressions against the SPDX license list, checksum lengths, externalRef
#      category/type/locator regexes, date formats, ...).
#      NOTE: its JSON parser silently IGNORES unknown/misspelled fields, hence step 2.
#   2. JSON input only: check-jsonschema against the OFFICIAL SPDX 2.3 JSON schema
#      (spdx-spec, branch support/2.3.1, schemas/spdx-schema.json; stored as
#      spdx-2.3-schema.json next to this script).
#      This catches unknown properties (additionalProperties:false) and enum/format errors.
#
# SPDX 3.x is NOT supported by spdx-tools (pyspdxtools3 only migrates 2.x -> a 3.0
# prototype); this script refuses SPDX 3 input with exit 2 rather than pretend.
#
# Exit: 0 valid, 1 invalid (tool output shown), 2 usage/setup error.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${CONFORMANCE_HOME:-$here/../../.tools/conformance}"
venv_bin="$home/venv/bin"

usage() { echo "usage: $0 FILE [--version SPDX-2.2|SPDX-2.3] [--no-schema]" >&2; exit 2; }
[ $# -ge 1 ] || usage
file=""; version=""; schema=1
while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || usage; version="$2"; shift 2 ;;
    --no-schema) schema=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) usage ;;
    *) [ -z "$file" ] || usage; file="$1"; shift ;;
  esac
done
[ -n "$file" ] || usage
[ -r "$file" ] || { echo "validate-spdx: cannot read $file" >&2; exit 2; }

find_bin() { if [ -x "$venv_bin/$1" ]; then echo "$venv_bin/$1"; else command -v "$1" || true; fi; }
PYSPDX="$(find_bin pyspdxtools)"; CJS="$(find_bin check-jsonschema)"
PY="$venv_bin/python"; [ -x "$PY" ] || PY="$(command -v python3)"
[ -n "$PYSPDX" ] || { echo "validate-spdx: pyspdxtools not found; run tests/conformance/INSTALL.sh (or set CONFORMANCE_HOME)" >&2; exit 2; }

ver() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || echo "?"; }

# --- sniff the serialization; pyspdxtools picks the parser from the file extension ---
fmt="$("$PY" - "$file" <<'EOF'
import sys, json
p = sys.argv[1]
head = open(p, 'rb').read(4096).decode('utf-8', 'replace').lstrip('\ufeff \t\r\n')
low = p.lower()
if head.startswith('{') or head.startswith('['):
    try:
        d = json.load(open(p, encoding='utf-8'))
    except Exception:
        print('json'); sys.exit()
    ctx = json.dumps(d.get('@context', '')) if isinstance(d, dict) else ''
    print('spdx3' if 'spdx.org/rdf/3' in ctx else 'json')
elif head.startswith('<'):
    print('rdf' if ('rdf:RDF' in head or low.endswith('.rdf') or low.endswith('.rdf.xml')) else 'xml')
elif low.endswith(('.yaml', '.yml')) or head.startswith(('spdxVersion:', '---', 'SPDXID:')):
    print('yaml')
else:
    print('tag')
EOF
)"
case "$fmt" in
  json) ext=".spdx.json" ;; yaml) ext=".spdx.yaml" ;; rdf) ext=".spdx.rdf.xml" ;;
  xml) ext=".spdx.xml" ;; tag) ext=".spdx" ;;
  spdx3) echo "validate-spdx: $file looks like SPDX 3.x JSON-LD; spdx-tools $(ver spdx-tools) cannot validate SPDX 3 (see README)" >&2; exit 2 ;;
esac

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
in="$tmp/input$ext"; cp "$file" "$in"

echo "validate-spdx: judged by spdx-tools $(ver spdx-tools) (pyspdxtools)$( [ "$fmt" = json ] && [ $schema = 1 ] && echo " + check-jsonschema $(ver check-jsonschema) with official SPDX 2.3 JSON schema")"
echo "validate-spdx: file=$file format=$fmt"

rc=0
args=(-i "$in"); [ -n "$version" ] && args+=(--version "$version")
out="$("$PYSPDX" "${args[@]}" 2>&1)"; prc=$?
out="$(printf '%s\n' "$out" | grep -v '^Generating LALR tables$' || true)"
if [ $prc -ne 0 ]; then
  echo "validate-spdx: [spdx-tools] INVALID (pyspdxtools exit $prc):" >&2
  printf '%s\n' "${out//"$in"/$file}" | sed 's/^/  /' >&2
  rc=1
else
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /'
  echo "validate-spdx: [spdx-tools] ok"
fi

if [ "$fmt" = json ] && [ $schema = 1 ]; then
  declared="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("spdxVersion",""))' "$file" 2>/dev/null)"
  sch="${SPDX_SCHEMA:-}"
  for cand in "$here/spdx-2.3-schema.json"; do
    [ -z "$sch" ] && [ -f "$cand" ] && sch="$cand"
  done
  if [ "${version:-$declared}" != "SPDX-2.3" ]; then
    echo "validate-spdx: [json-schema] skipped: only the SPDX-2.3 schema is bundled (document: ${declared:-none})"
  elif [ -z "$sch" ] || [ -z "$CJS" ]; then
    echo "validate-spdx: [json-schema] cannot run (schema file or check-jsonschema missing)" >&2; exit 2
  else
    sout="$("$CJS" --schemafile "$sch" "$file" 2>&1)"; src=$?
    if [ $src -ne 0 ]; then
      echo "validate-spdx: [json-schema] INVALID against official SPDX 2.3 JSON schema:" >&2
      printf '%s\n' "$sout" | sed 's/^/  /' >&2
      rc=1
    else
      echo "validate-spdx: [json-schema] ok ($(basename "$sch"))"
    fi
  fi
fi

if [ $rc -eq 0 ]; then echo "validate-spdx: VALID"; else echo "validate-spdx: INVALID" >&2; fi
exit $rc
