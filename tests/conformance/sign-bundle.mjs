#!/usr/bin/env node
// sign-bundle.mjs --key KEY.pem --payload FILE [--payload-type T] [--hint H] [--keyid K] [--envelope]
//
// Reference Sigstore bundle builder built from sigstore-js itself: signs the DSSE PAE with
// Node's crypto.sign (ECDSA -> ASN.1 DER, Ed25519 -> 64-byte raw) and serialises with
// @sigstore/bundle toDSSEBundle + bundleToJSON, i.e. exactly the JSON shape sigstore-js emits
// for a v0.3 publicKey DSSE bundle (no tlog entries, no timestamps). --envelope prints only the
// dsseEnvelope. Use it to produce golden bundles to diff against the Rust tool's output.
// NOTE: bundleToJSON omits "keyid" when it is "" (protobuf JSON drops default values).
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, sign, createHash } from 'node:crypto';
import { npmProject } from './npm-project.mjs';

const { req } = npmProject('sign-bundle', '@sigstore/bundle');
const { toDSSEBundle, bundleToJSON } = req('@sigstore/bundle');
const { dsse } = req('@sigstore/core');

const a = { payloadType: 'application/vnd.in-toto+json', hint: null, keyid: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i];
  if (k === '--key') a.key = argv[++i];
  else if (k === '--payload') a.payload = argv[++i];
  else if (k === '--payload-type') a.payloadType = argv[++i];
  else if (k === '--hint') a.hint = argv[++i];
  else if (k === '--keyid') a.keyid = argv[++i];
  else if (k === '--envelope') a.envelope = true;
  else { console.error(`sign-bundle: unknown argument ${k}`); process.exit(2); }
}
if (!a.key || !a.payload) { console.error('usage: sign-bundle.mjs --key KEY.pem --payload FILE [--payload-type T] [--hint H] [--keyid K] [--envelope]'); process.exit(2); }

const priv = createPrivateKey(readFileSync(a.key));
const payload = readFileSync(a.payload);
const pae = dsse.preAuthEncoding(a.payloadType, payload);       // sigstore-js's own PAE
const sig = sign(priv.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae, priv); // DER for EC
const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
const hint = a.hint ?? createHash('sha256').update(spki).digest('base64');
const bundle = toDSSEBundle({ artifact: payload, artifactType: a.payloadType, signature: sig, keyHint: hint });
bundle.content.dsseEnvelope.signatures[0].keyid = a.keyid; // toDSSEBundle copies keyHint into keyid
const json = bundleToJSON(bundle);
process.stdout.write(JSON.stringify(a.envelope ? json.dsseEnvelope : json, null, 2) + '\n');
