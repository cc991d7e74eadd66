#!/usr/bin/env node
// verify-bundle.mjs BUNDLE PUBKEY.pem [ARTIFACT] [--payload-type T]
//
// Offline verification of a Sigstore bundle (v0.1-v0.3; media type
// application/vnd.dev.sigstore.bundle.v0.3+json) whose verificationMaterial is a
// publicKey hint, with a PEM public key, using sigstore-js (an implementation independent
// of securesystemslib / the Rust tool):
//   @sigstore/bundle  bundleFromJSON + assertBundleLatest (v0.3) / assertBundle (older)
//   @sigstore/verify  toSignedEntity + Verifier(trustMaterial, {tlogThreshold:0,
//                     ctlogThreshold:0, timestampThreshold:0}).verify(entity)
//                     trustMaterial: empty trusted root + a key finder that returns PUBKEY
//                     for whatever (unauthenticated) hint the bundle carries.
// A bare DSSE envelope ({payload, payloadType, signatures}) is also accepted: it is wrapped
// in-memory into a v0.3 publicKey bundle so sigstore-js can judge the envelope itself.
//
// ARTIFACT: messageSignature bundles -> sigstore-js verifies the signature over ARTIFACT and
// we additionally compare messageDigest with its digest [own]; DSSE bundles -> [own] check that
// an in-toto Statement subject digest (sha256/sha384/sha512) equals ARTIFACT's.
//
// The high-level `sigstore` package's verify() cannot do this offline: it always loads a TUF
// trusted root over the network and requires >=1 timestamp (timestampThreshold is not exposed).
// Exit: 0 verified, 1 failed, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmProject } from './npm-project.mjs';

const { req, version: ver } = npmProject('verify-bundle', '@sigstore/verify');
const bundleLib = req('@sigstore/bundle');
const verifyLib = req('@sigstore/verify');
// read versions from disk: some packages (e.g. @sigstore/protobuf-specs) do not export ./package.json

const args = process.argv.slice(2);
let payloadType = null;
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--payload-type') payloadType = args[++i];
  else if (args[i] === '-h' || args[i] === '--help') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 24).join('\n')); process.exit(0); }
  else pos.push(args[i]);
}
if (pos.length < 2 || pos.length > 3) {
  console.error('usage: verify-bundle.mjs BUNDLE PUBKEY.pem [ARTIFACT] [--payload-type T]');
  process.exit(2);
}
const [bundlePath, keyPath, artifactPath] = pos;

console.log(`verify-bundle: judged by sigstore-js: @sigstore/verify ${ver('@sigstore/verify')}, @sigstore/bundle ${ver('@sigstore/bundle')}, @sigstore/core ${ver('@sigstore/core')}, @sigstore/protobuf-specs ${ver('@sigstore/protobuf-specs')} (node ${process.version})`);

let json, pem, artifact;
try {
  json = JSON.parse(readFileSync(bundlePath, 'utf8'));
  pem = readFileSync(keyPath, 'utf8');
  artifact = artifactPath ? readFileSync(artifactPath) : undefined;
} catch (e) {
  console.error(`verify-bundle: cannot load input: ${e.message}`);
  process.exit(e instanceof SyntaxError ? 1 : 2);
}
let key;
try { key = createPublicKey(pem); } catch (e) { console.error(`verify-bundle: bad public key: ${e.message}`); process.exit(2); }

const problems = [];
const fail = (src, msg) => problems.push(`[${src}] ${msg}`);
const finish = () => {
  if (problems.length) {
    console.error(`verify-bundle: FAIL (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log('verify-bundle: VERIFIED');
  process.exit(0);
};

let wrapped = false;
if (json && typeof json === 'object' && 'payloadType' in json && 'signatures' in json && !('mediaType' in json)) {
  wrapped = true;
  json = {
    mediaType: bundleLib.BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
    dsseEnvelope: json,
  };
}
console.log(`verify-bundle: input=${bundlePath}${wrapped ? ' (bare DSSE envelope, wrapped into a v0.3 publicKey bundle in-memory)' : ''} mediaType=${json.mediaType} key=${keyPath} (${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ' ' + key.asymmetricKeyDetails.namedCurve : ''})`);

let bundle;
try {
  bundle = bundleLib.bundleFromJSON(json);
} catch (e) {
  fail('@sigstore/bundle', `bundleFromJSON: ${e.message}${e.fields ? ' fields=' + JSON.stringify(e.fields) : ''}`);
  finish();
}
try {
  if (json.mediaType === bundleLib.BUNDLE_V03_MEDIA_TYPE || json.mediaType === bundleLib.BUNDLE_V03_LEGACY_MEDIA_TYPE) {
    bundleLib.assertBundleLatest(bundle);
  } else {
    bundleLib.assertBundle(bundle);
    console.log(`verify-bundle: NOTE mediaType ${json.mediaType} is not v0.3; only base bundle checks applied`);
  }
} catch (e) {
  fail('@sigstore/bundle', `${e.message}${e.fields ? ': invalid fields ' + JSON.stringify(e.fields) : ''}`);
  finish();
}

const vm = bundle.verificationMaterial;
if (vm.content.$case !== 'publicKey') {
  fail('verify-bundle', `verificationMaterial is ${vm.content.$case}; this offline checker only handles publicKey bundles (certificate bundles need a Sigstore trusted root)`);
  finish();
}
console.log(`verify-bundle: content=${bundle.content.$case} publicKey.hint=${JSON.stringify(vm.content.publicKey.hint)} tlogEntries=${vm.tlogEntries.length} rfc3161Timestamps=${vm.timestampVerificationData?.rfc3161Timestamps?.length ?? 0}`);
if (vm.tlogEntries.length) {
  console.log('verify-bundle: NOTE bundle has transparency-log entries; with an empty trusted root sigstore-js cannot check their inclusion, so verification will fail on them');
}

const spki = key.export({ type: 'spki', format: 'der' });
const trustMaterial = verifyLib.toTrustMaterial(
  { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
  (hint) => ({ publicKey: key, validFor: () => true }),
);
console.log(`verify-bundle: supplied key sha256(SPKI DER): hex=${createHash('sha256').update(spki).digest('hex')} base64=${createHash('sha256').update(spki).digest('base64')} (hint is unauthenticated; not required to match)`);

let entity;
try {
  entity = verifyLib.toSignedEntity(bundle, artifact);
} catch (e) {
  fail('@sigstore/verify', `toSignedEntity: ${e.message}`);
  finish();
}
const verifier = new verifyLib.Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
try {
  verifier.verify(entity);
  console.log('verify-bundle: [@sigstore/verify] signature OK');
} catch (e) {
  fail('@sigstore/verify', `${e.code ? e.code + ': ' : ''}${e.message}`);
  const sig = bundle.content.$case === 'dsseEnvelope'
    ? bundle.content.dsseEnvelope.signatures[0]?.sig : bundle.content.messageSignature.signature;
  if (key.asymmetricKeyType === 'ec' && sig && (sig.length === 64 || sig.length === 96 || sig.length === 132) && sig[0] !== 0x30) {
    fail('own', `${sig.length}-byte ECDSA signature is not ASN.1 DER (looks like raw r||s / IEEE P1363); Node crypto.verify as used by sigstore-js expects DER`);
  }
  if (bundle.content.$case === 'messageSignature' && !artifact) {
    fail('own', 'messageSignature bundles need ARTIFACT (the signature is over the artifact bytes)');
  }
}

const algName = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };
if (bundle.content.$case === 'messageSignature' && artifact) {
  const md = bundle.content.messageSignature.messageDigest;
  const { HashAlgorithm } = req('@sigstore/protobuf-specs');
  const alg = algName[HashAlgorithm[md.algorithm]] || 'sha256';
  const mine = createHash(alg).update(artifact).digest();
  if (!mine.equals(Buffer.from(md.digest))) fail('own', `messageDigest (${alg}) does not equal the artifact's digest`);
  else console.log(`verify-bundle: [own] messageDigest matches artifact ${artifactPath} (${alg})`);
}

if (bundle.content.$case === 'dsseEnvelope') {
  const env = bundle.content.dsseEnvelope;
  const intoto = /^application\/vnd\.in-toto(\.[A-Za-z0-9._-]+)?\+json$/;
  if (payloadType ? env.payloadType !== payloadType : !intoto.test(env.payloadType)) {
    fail('own', `payloadType ${JSON.stringify(env.payloadType)} is not ${payloadType ? JSON.stringify(payloadType) : 'application/vnd.in-toto[.<predicate>]+json'}`);
  }
  if (intoto.test(env.payloadType)) {
    let stmt;
    try { stmt = JSON.parse(Buffer.from(env.payload).toString('utf8')); } catch (e) { fail('own', `payload is not JSON: ${e.message}`); }
    if (stmt) {
      if (stmt._type !== 'https://in-toto.io/Statement/v1') fail('own', `Statement _type is ${JSON.stringify(stmt._type)}, expected "https://in-toto.io/Statement/v1"`);
      if (!Array.isArray(stmt.subject) || stmt.subject.length === 0) fail('own', 'Statement has no subject');
      if (typeof stmt.predicateType !== 'string' || !stmt.predicateType) fail('own', 'Statement has no predicateType');
      console.log(`verify-bundle: statement _type=${stmt._type} predicateType=${stmt.predicateType} subjects=${Array.isArray(stmt.subject) ? stmt.subject.length : 0}`);
      if (artifact) {
        const mine = Object.fromEntries(['sha256', 'sha384', 'sha512'].map((a) => [a, createHash(a).update(artifact).digest('hex')]));
        const hit = (stmt.subject || []).findIndex((s) => s && s.digest && Object.entries(s.digest).some(([a, v]) => mine[a] && typeof v === 'string' && v.toLowerCase() === mine[a]));
        if (hit < 0) fail('own', `artifact ${artifactPath} (sha256 ${mine.sha256}) matches no subject digest`);
        else console.log(`verify-bundle: [own] artifact ${artifactPath} matches subject[${hit}] (${JSON.stringify(stmt.subject[hit].name)})`);
      }
    }
  } else if (artifact) {
    fail('own', 'ARTIFACT given but payload is not an in-toto Statement; cannot bind artifact');
  }
}
finish();
