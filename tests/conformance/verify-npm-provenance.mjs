#!/usr/bin/env node
// verify-npm-provenance.mjs ATTESTATIONS.json TRUSTED_ROOT.json PURL INTEGRITY
//
// Judges an npm release's provenance the way the npm CLI's own verifier library does,
// independently of tacos-sbom: sigstore-js, offline, against the CAs, CT logs and
// transparency logs a trusted_root.json names.
//   ATTESTATIONS.json  the registry's answer for the release ({attestations: [...]})
//   PURL               pkg:npm/NAME@VERSION the provenance must be about
//   INTEGRITY          the registry's dist.integrity for the tarball (sha512-<base64>)
// Steps: take the one attestation whose predicateType is SLSA provenance (v0.2 or v1);
//   @sigstore/bundle   bundleFromJSON, assertBundle (any bundle version npm has served)
//   @sigstore/verify   Verifier(toTrustMaterial(root), {tlogThreshold:1, ctlogThreshold:1})
//                      .verify(toSignedEntity(bundle), {extensions: {issuer: GitHub Actions}})
// then the in-toto statement inside names PURL with the SHA-512 of INTEGRITY.
// Prints the certificate's identity and the source repository Fulcio recorded
// (SourceRepositoryURI, else the older GitHub Workflow Repository extension).
// Exit: 0 verified, 1 failed, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { npmProject } from './npm-project.mjs';

const { req } = npmProject('verify-npm-provenance', '@sigstore/verify');
const bundleLib = req('@sigstore/bundle');
const verifyLib = req('@sigstore/verify');
const specs = req('@sigstore/protobuf-specs');

const args = process.argv.slice(2);
if (args.length !== 4) {
  console.error('usage: verify-npm-provenance.mjs ATTESTATIONS.json TRUSTED_ROOT.json PURL INTEGRITY');
  process.exit(2);
}
const [attPath, rootPath, purl, integrity] = args;
const fail = (src, msg) => {
  console.error(`verify-npm-provenance: FAIL [${src}] ${msg}`);
  process.exit(1);
};

let answer, root;
try {
  answer = JSON.parse(readFileSync(attPath, 'utf8'));
  root = specs.TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
} catch (e) {
  console.error(`verify-npm-provenance: cannot load input: ${e.message}`);
  process.exit(e instanceof SyntaxError ? 1 : 2);
}
const slsa = (answer.attestations || []).filter((a) => /^https:\/\/slsa\.dev\/provenance\/(v0\.2|v1)$/.test(a.predicateType));
if (slsa.length !== 1) fail('answer', `${slsa.length} SLSA provenance attestations, not one`);

let bundle;
try {
  bundle = bundleLib.bundleFromJSON(slsa[0].bundle);
  bundleLib.assertBundle(bundle);
} catch (e) {
  fail('@sigstore/bundle', e.message);
}
let signer;
try {
  const verifier = new verifyLib.Verifier(verifyLib.toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1 });
  signer = verifier.verify(verifyLib.toSignedEntity(bundle), { extensions: { issuer: 'https://token.actions.githubusercontent.com' } });
} catch (e) {
  fail('@sigstore/verify', `${e.code ? e.code + ': ' : ''}${e.message}`);
}

const statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
if (statement.predicateType !== slsa[0].predicateType) fail('statement', `predicateType ${statement.predicateType}`);
const m = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity);
if (!m) fail('usage', 'INTEGRITY is not sha512-<base64>');
const want = Buffer.from(m[1], 'base64').toString('hex');
const subject = (statement.subject || []).find((s) => s.name === purl);
if (!subject) fail('statement', `no subject named ${purl}`);
if (subject.digest?.sha512 !== want) fail('statement', `subject sha512 ${subject.digest?.sha512} is not the integrity's ${want}`);

// Fulcio's extensions, read from the certificate by Node's own X.509 parser.
const { X509Certificate } = await import('node:crypto');
const cert = new X509Certificate(Buffer.from(bundle.verificationMaterial.content.x509CertificateChain?.certificates?.[0]?.rawBytes ?? bundle.verificationMaterial.content.certificate.rawBytes));
const der = cert.raw;
const ext = (oidTail) => {
  // 1.3.6.1.4.1.57264.1.<tail> encoded: 06 0a 2b 06 01 04 01 83 bf 30 01 <tail>
  const oid = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, oidTail]);
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  // OID, then OCTET STRING (04 len value); the v2 extensions wrap a UTF8String (0c len value).
  let i = at + oid.length;
  if (der[i] === 0x01) i += 3; // a `critical` BOOLEAN
  if (der[i] !== 0x04) return undefined;
  let len = der[i + 1];
  let v = der.subarray(i + 2, i + 2 + len);
  if (v[0] === 0x0c) v = v.subarray(2, 2 + v[1]);
  return v.toString('utf8');
};
const repo = ext(0x0c) ?? (ext(0x05) ? `https://github.com/${ext(0x05)}` : undefined);
console.log(`verify-npm-provenance: VERIFIED: identity ${signer.identity.subjectAlternativeName}, issuer ${signer.identity.extensions.issuer}, source repository ${repo}, subject ${purl} sha512 ${want.slice(0, 16)}…`);
process.exit(0);
