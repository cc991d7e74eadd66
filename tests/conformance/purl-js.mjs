#!/usr/bin/env node
// purl-js.mjs: batch bridge to packageurl-js (the package-url org's JavaScript implementation).
// stdin : JSON array of {"op": "parse"|"build"|"validate", "input": <purl string | components>}
// stdout: JSON {"tool": "packageurl-js <ver>", "results": [{"ok": bool, "output": ..., "error": str}]}
//   parse    -> output = {type, namespace, name, version, qualifiers, subpath}
//   build    -> output = canonical string built from components
//   validate -> output = canonical string (fromString(input).toString())
// Used by validate-purl.py and purl-conformance.py; exit 2 if packageurl-js is missing.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';

const home = process.env.CONFORMANCE_HOME || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.tools', 'conformance');
let req = null;
let base = null;
for (const c of [join(home, 'node', 'package.json'), join(dirname(fileURLToPath(import.meta.url)), 'package.json')]) {
  try { const r = createRequire(c); r.resolve('packageurl-js'); req = r; base = dirname(c); break; } catch { /* next */ }
}
if (!req) { console.error('purl-js: packageurl-js not found; run tests/conformance/INSTALL.sh'); process.exit(2); }
const { PackageURL } = req('packageurl-js');
const version = JSON.parse(readFileSync(join(base, 'node_modules', 'packageurl-js', 'package.json'), 'utf8')).version;

const ops = JSON.parse(readFileSync(0, 'utf8'));
const nul = (v) => (v === undefined || v === '' ? null : v);
const comps = (p) => ({
  type: nul(p.type), namespace: nul(p.namespace), name: nul(p.name), version: nul(p.version),
  qualifiers: p.qualifiers && Object.keys(p.qualifiers).length ? { ...p.qualifiers } : null,
  subpath: nul(p.subpath),
});
const results = ops.map(({ op, input }) => {
  try {
    if (op === 'parse') return { ok: true, output: comps(PackageURL.fromString(input)) };
    if (op === 'validate') return { ok: true, output: PackageURL.fromString(input).toString() };
    if (op === 'build') {
      const i = input || {};
      return { ok: true, output: new PackageURL(i.type, i.namespace, i.name, i.version, i.qualifiers, i.subpath).toString() };
    }
    return { ok: false, error: `unknown op ${op}` };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify({ tool: `packageurl-js ${version}`, results }));
