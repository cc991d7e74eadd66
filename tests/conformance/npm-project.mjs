// npm-project.mjs: where the Node checkers find their pinned npm packages.
//
// INSTALL.sh installs each npm project under $CONFORMANCE_HOME (default: .tools/conformance
// in the repository): `node/` (sigstore-js 3.x, its OCI client, signer and service mocks,
// packageurl-js, spdx-expression-parse) and `node22/` (sigstore-js 4.x with the node 22 it
// needs). A checker names the package it cannot run without; the project is `node` unless
// SIGSTORE_JS_PROJECT names another. Not found: a message naming the script, the package and
// the directory, and exit 2 (a setup error, never a verdict).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function npmProject(script, needs) {
  const home = process.env.CONFORMANCE_HOME || join(here, '..', '..', '.tools', 'conformance');
  const base = join(home, process.env.SIGSTORE_JS_PROJECT || 'node');
  let req;
  try {
    req = createRequire(join(base, 'package.json'));
    req.resolve(needs);
  } catch (e) {
    console.error(`${script}: ${needs} not found under ${base}: run tests/conformance/INSTALL.sh or set CONFORMANCE_HOME (${e.message})`);
    process.exit(2);
  }
  // A package's installed version, for the verdict's first line.
  const version = (p) => {
    try { return JSON.parse(readFileSync(join(base, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; }
  };
  return { req, version, base, home };
}
