#!/usr/bin/env node
// verify-bundles-batch.mjs PUBKEY.pem FILE...
//
// verify-bundle.mjs over many Sigstore bundles in one Node process: each FILE is one bundle
// (JSON) or, when it ends in .jsonl, a JSON Lines file whose every line is one. Each bundle
// is judged by sigstore-js exactly as verify-bundle.mjs judges a bundle (no bare DSSE
// envelopes here: a bundle is required):
//   @sigstore/bundle  bundleFromJSON + assertBundleLatest (v0.3 media types; others refused)
//   @sigstore/verify  toSignedEntity + Verifier(trust material with PUBKEY for any hint,
//                     {tlogThreshold:0, ctlogThreshold:0, timestampThreshold:0}).verify
//   [own]             verificationMaterial is a publicKey; payloadType is in-toto; the payload
//                     is an in-toto Statement v1 with a subject and a predicateType.
// Prints one JSON line per bundle on stdout: {"file", "line" (from 1, or null), "ok",
// "problems": [...]}, then "verify-bundles-batch: N verified, M failed" on stderr.
// Exit: 0 every bundle verified, 1 some failed, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { npmProject } from './npm-project.mjs';

const { req } = npmProject('verify-bundles-batch', '@sigstore/verify');
const bundleLib = req('@sigstore/bundle');
const verifyLib = req('@sigstore/verify');

const [keyPath, ...files] = process.argv.slice(2);
if (!keyPath || files.length === 0) {
  console.error('usage: verify-bundles-batch.mjs PUBKEY.pem FILE...');
  process.exit(2);
}
let key;
try { key = createPublicKey(readFileSync(keyPath, 'utf8')); } catch (e) {
  console.error(`verify-bundles-batch: bad public key ${keyPath}: ${e.message}`);
  process.exit(2);
}
const trust = verifyLib.toTrustMaterial(
  { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
  () => ({ publicKey: key, validFor: () => true }),
);
const verifier = new verifyLib.Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
const latest = [bundleLib.BUNDLE_V03_MEDIA_TYPE, bundleLib.BUNDLE_V03_LEGACY_MEDIA_TYPE];

function judge(text) {
  const problems = [];
  let json;
  try { json = JSON.parse(text); } catch (e) { return [`[own] not JSON: ${e.message}`]; }
  if (!json || typeof json !== 'object' || !latest.includes(json.mediaType)) {
    return [`[own] mediaType ${JSON.stringify(json && json.mediaType)} is not a Sigstore bundle v0.3`];
  }
  let bundle;
  try {
    bundle = bundleLib.bundleFromJSON(json);
    bundleLib.assertBundleLatest(bundle);
  } catch (e) {
    return [`[@sigstore/bundle] ${e.message}${e.fields ? ' fields=' + JSON.stringify(e.fields) : ''}`];
  }
  if (bundle.verificationMaterial.content.$case !== 'publicKey') {
    return [`[own] verificationMaterial is ${bundle.verificationMaterial.content.$case}, not publicKey`];
  }
  if (bundle.content.$case !== 'dsseEnvelope') return [`[own] content is ${bundle.content.$case}, not dsseEnvelope`];
  try {
    verifier.verify(verifyLib.toSignedEntity(bundle));
  } catch (e) {
    problems.push(`[@sigstore/verify] ${e.code ? e.code + ': ' : ''}${e.message}`);
  }
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== 'application/vnd.in-toto+json') problems.push(`[own] payloadType ${JSON.stringify(env.payloadType)}`);
  let stmt = null;
  try { stmt = JSON.parse(Buffer.from(env.payload).toString('utf8')); } catch (e) { problems.push(`[own] payload is not JSON: ${e.message}`); }
  if (stmt) {
    if (stmt._type !== 'https://in-toto.io/Statement/v1') problems.push(`[own] Statement _type is ${JSON.stringify(stmt._type)}`);
    if (!Array.isArray(stmt.subject) || stmt.subject.length === 0) problems.push('[own] Statement has no subject');
    if (typeof stmt.predicateType !== 'string' || !stmt.predicateType) problems.push('[own] Statement has no predicateType');
  }
  return problems;
}

let verified = 0;
let failed = 0;
for (const file of files) {
  let text;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    console.error(`verify-bundles-batch: cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  const units = file.endsWith('.jsonl')
    ? text.split('\n').map((l, i) => [l, i + 1]).filter(([l]) => l !== '')
    : [[text, null]];
  for (const [unit, line] of units) {
    const problems = judge(unit);
    if (problems.length) failed++; else verified++;
    process.stdout.write(JSON.stringify({ file, line, ok: problems.length === 0, problems }) + '\n');
  }
}
console.error(`verify-bundles-batch: judged by sigstore-js @sigstore/verify; ${verified} verified, ${failed} failed`);
process.exit(failed ? 1 : 0);
