#!/usr/bin/env node
// verify-bundle-timestamped.mjs BUNDLE PUBKEY.pem TRUSTED_ROOT.json
//
// Offline verification by sigstore-js of a key-signed Sigstore bundle (v0.3, publicKey
// hint, DSSE envelope) that carries RFC 3161 timestamps, against the timestamp
// authorities a trusted_root.json names:
//   @sigstore/protobuf-specs TrustedRoot.fromJSON(TRUSTED_ROOT)
//   @sigstore/verify         toTrustMaterial(root, key finder returning PUBKEY)
//                            Verifier(trustMaterial, {tlogThreshold:0, ctlogThreshold:0,
//                            timestampThreshold:1}).verify(toSignedEntity(bundle))
// So the bundle passes only if at least one timestamp verifies: its token signed by an
// authority of the root (chain, timeStamping EKU, validity at genTime, the root's validFor),
// over the envelope's signature bytes; and the envelope's signature verifies with PUBKEY.
// Beside verify-bundle.mjs (which judges untimestamped bundles with every threshold 0).
// Exit: 0 verified, 1 failed, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { npmProject } from './npm-project.mjs';

const { req, version: ver } = npmProject('verify-bundle-timestamped', '@sigstore/verify');
const bundleLib = req('@sigstore/bundle');
const verifyLib = req('@sigstore/verify');
const specs = req('@sigstore/protobuf-specs');

const args = process.argv.slice(2);
if (args.length !== 3) {
  console.error('usage: verify-bundle-timestamped.mjs BUNDLE PUBKEY.pem TRUSTED_ROOT.json');
  process.exit(2);
}
const [bundlePath, keyPath, rootPath] = args;
console.log(`verify-bundle-timestamped: judged by sigstore-js: @sigstore/verify ${ver('@sigstore/verify')}, @sigstore/bundle ${ver('@sigstore/bundle')}, @sigstore/core ${ver('@sigstore/core')} (node ${process.version})`);

let json, key, root;
try {
  json = JSON.parse(readFileSync(bundlePath, 'utf8'));
  key = createPublicKey(readFileSync(keyPath, 'utf8'));
  root = specs.TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
} catch (e) {
  console.error(`verify-bundle-timestamped: cannot load input: ${e.message}`);
  process.exit(e instanceof SyntaxError ? 1 : 2);
}

const fail = (src, msg) => {
  console.error(`verify-bundle-timestamped: FAIL [${src}] ${msg}`);
  process.exit(1);
};

let bundle;
try {
  bundle = bundleLib.bundleFromJSON(json);
  bundleLib.assertBundleLatest(bundle);
} catch (e) {
  fail('@sigstore/bundle', `${e.message}${e.fields ? ': invalid fields ' + JSON.stringify(e.fields) : ''}`);
}
const vm = bundle.verificationMaterial;
if (vm.content.$case !== 'publicKey') fail('verify-bundle-timestamped', `verificationMaterial is ${vm.content.$case}, not publicKey`);
const stamps = vm.timestampVerificationData?.rfc3161Timestamps?.length ?? 0;
console.log(`verify-bundle-timestamped: content=${bundle.content.$case} rfc3161Timestamps=${stamps} tlogEntries=${vm.tlogEntries.length} timestampAuthorities=${root.timestampAuthorities.length}`);

const trustMaterial = verifyLib.toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true }));
let entity;
try {
  entity = verifyLib.toSignedEntity(bundle);
} catch (e) {
  fail('@sigstore/verify', `toSignedEntity: ${e.message}`);
}
try {
  new verifyLib.Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 }).verify(entity);
} catch (e) {
  fail('@sigstore/verify', `${e.code ? e.code + ': ' : ''}${e.message}`);
}
console.log('verify-bundle-timestamped: VERIFIED (signature and timestamp)');
process.exit(0);
