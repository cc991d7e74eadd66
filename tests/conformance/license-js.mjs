#!/usr/bin/env node
// license-js.mjs: batch bridge to spdx-expression-parse (the SPDX expression parser npm uses;
// license/exception lists from spdx-license-ids + spdx-exceptions).
// stdin : JSON array of expression strings
// stdout: JSON {"tool": "...", "results": [{"ok": bool, "ast": ..., "error": str}]}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';

const home = process.env.CONFORMANCE_HOME || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.tools', 'conformance');
let req = null;
let base = null;
for (const c of [join(home, 'node', 'package.json'), join(dirname(fileURLToPath(import.meta.url)), 'package.json')]) {
  try { const r = createRequire(c); r.resolve('spdx-expression-parse'); req = r; base = dirname(c); break; } catch { /* next */ }
}
if (!req) { console.error('license-js: spdx-expression-parse not found; run tests/conformance/INSTALL.sh'); process.exit(2); }
const parse = req('spdx-expression-parse');
const v = (p) => { try { return JSON.parse(readFileSync(join(base, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; } };
const tool = `spdx-expression-parse ${v('spdx-expression-parse')} (spdx-license-ids ${v('spdx-license-ids')}, spdx-exceptions ${v('spdx-exceptions')})`;
const exprs = JSON.parse(readFileSync(0, 'utf8'));
const results = exprs.map((e) => { try { return { ok: true, ast: parse(e) }; } catch (err) { return { ok: false, error: String(err.message || err) }; } });
process.stdout.write(JSON.stringify({ tool, results }));
