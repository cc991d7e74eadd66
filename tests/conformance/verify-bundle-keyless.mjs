#!/usr/bin/env node
// verify-bundle-keyless.mjs BUNDLE TRUSTED_ROOT.json --certificate-identity ID
//                           --certificate-oidc-issuer ISS [--timestamps N]
//
// Offline verification by sigstore-js of a keyless Sigstore bundle (v0.3: a Fulcio
// certificate, a DSSE envelope, a Rekor v1 entry), against the CAs, CT logs, transparency
// logs and timestamp authorities a trusted_root.json names:
//   @sigstore/protobuf-specs TrustedRoot.fromJSON(TRUSTED_ROOT)
//   @sigstore/bundle         bundleFromJSON, assertBundleLatest (v0.3)
//   @sigstore/verify         Verifier(toTrustMaterial(root), {tlogThreshold:1,
//                            ctlogThreshold:1, timestampThreshold:N}).verify(
//                            toSignedEntity(bundle), {subjectAlternativeName, extensions:
//                            {issuer: ISS}})
// So it passes only if: the certificate chains to a trusted CA and is valid at every
// verified time (the log's integrated time, each RFC 3161 timestamp's genTime); it carries
// an SCT from a trusted CT log; the log entry's SET and inclusion proof (checkpoint signed
// by a trusted log, Merkle path to its root) verify and its body names this envelope's
// signature and payload; the envelope's signature verifies with the certificate's key; the
// SAN is exactly ID (sigstore-js takes a pattern: ID is anchored and escaped here, as
// cosign's --certificate-identity matches exactly) and the issuer extension is exactly ISS.
// N (default 1) counts verified times: the log entry's integrated time is one, each
// timestamp another.
// Exit: 0 verified, 1 failed, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { npmProject } from './npm-project.mjs';

const { req, version: ver } = npmProject('verify-bundle-keyless', '@sigstore/verify');
const bundleLib = req('@sigstore/bundle');
const verifyLib = req('@sigstore/verify');
const specs = req('@sigstore/protobuf-specs');

const usage = () => {
  console.error('usage: verify-bundle-keyless.mjs BUNDLE TRUSTED_ROOT.json --certificate-identity ID --certificate-oidc-issuer ISS [--timestamps N]');
  process.exit(2);
};
const positional = [];
const flags = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const m = /^--(certificate-identity|certificate-oidc-issuer|timestamps)$/.exec(argv[i]);
  if (m) {
    if (argv[i + 1] === undefined) usage();
    flags[m[1]] = argv[++i];
  } else positional.push(argv[i]);
}
const timestamps = Number(flags.timestamps ?? 1);
if (positional.length !== 2 || !flags['certificate-identity'] || !flags['certificate-oidc-issuer'] || !Number.isInteger(timestamps) || timestamps < 0) usage();
const [bundlePath, rootPath] = positional;
const identity = flags['certificate-identity'];
const issuer = flags['certificate-oidc-issuer'];
console.log(`verify-bundle-keyless: judged by sigstore-js: @sigstore/verify ${ver('@sigstore/verify')}, @sigstore/bundle ${ver('@sigstore/bundle')}, @sigstore/core ${ver('@sigstore/core')}, @sigstore/protobuf-specs ${ver('@sigstore/protobuf-specs')} (node ${process.version})`);

const fail = (src, msg) => {
  console.error(`verify-bundle-keyless: FAIL [${src}] ${msg}`);
  process.exit(1);
};

let json, root;
try {
  json = JSON.parse(readFileSync(bundlePath, 'utf8'));
  root = specs.TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
} catch (e) {
  console.error(`verify-bundle-keyless: cannot load input: ${e.message}`);
  process.exit(e instanceof SyntaxError ? 1 : 2);
}

let bundle;
try {
  bundle = bundleLib.bundleFromJSON(json);
  bundleLib.assertBundleLatest(bundle);
} catch (e) {
  fail('@sigstore/bundle', `${e.message}${e.fields ? ': invalid fields ' + JSON.stringify(e.fields) : ''}`);
}
const vm = bundle.verificationMaterial;
if (vm.content.$case !== 'certificate') fail('verify-bundle-keyless', `verificationMaterial is ${vm.content.$case}, not certificate`);
console.log(`verify-bundle-keyless: content=${bundle.content.$case} tlogEntries=${vm.tlogEntries.length} rfc3161Timestamps=${vm.timestampVerificationData?.rfc3161Timestamps?.length ?? 0} certificateAuthorities=${root.certificateAuthorities.length} ctlogs=${root.ctlogs.length} tlogs=${root.tlogs.length} timestampAuthorities=${root.timestampAuthorities.length}`);

const exactly = (s) => `^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
let signer;
try {
  const entity = verifyLib.toSignedEntity(bundle);
  const verifier = new verifyLib.Verifier(verifyLib.toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: timestamps });
  signer = verifier.verify(entity, { subjectAlternativeName: exactly(identity), extensions: { issuer } });
} catch (e) {
  fail('@sigstore/verify', `${e.code ? e.code + ': ' : ''}${e.message}${e.cause?.message ? ' (' + e.cause.message + ')' : ''}`);
}
console.log(`verify-bundle-keyless: VERIFIED: identity ${signer.identity.subjectAlternativeName}, issuer ${signer.identity.extensions.issuer}`);
process.exit(0);
