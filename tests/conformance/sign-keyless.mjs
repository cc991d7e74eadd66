#!/usr/bin/env node
// sign-keyless.mjs STATEMENT OUT_BUNDLE --fulcio URL --rekor URL --token JWT [--tsa URL]
//
// Keyless signing by sigstore-js alone (@sigstore/sign): an in-toto statement wrapped in a
// DSSE envelope (DSSEBundleBuilder, payload type application/vnd.in-toto+json) signed by an
// ephemeral key that FulcioSigner certifies at URL with the identity token JWT, witnessed by
// RekorWitness (a dsse 0.0.1 entry in the Rekor v1 log at URL). Writes the Sigstore bundle
// (v0.3) as JSON to OUT_BUNDLE.
//
// --tsa URL adds an RFC 3161 timestamp from an authority speaking the RFC 3161 HTTP
// transport (DER TimeStampReq in, TimeStampResp out, as `openssl ts -reply` behind
// tests/support/tsa.rs does). sigstore-js's own TSAWitness posts JSON to Sigstore's
// timestamp service instead, so here a witness of ours asks for the timestamp: SHA-256 of
// the envelope's signature, certReq true; the answer (the DER TimeStampResp) goes into the
// bundle as sigstore-js would put its own.
// Exit: 0 signed, 1 a service refused, 2 usage/setup error.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { npmProject } from './npm-project.mjs';

const { req, version: ver } = npmProject('sign-keyless', '@sigstore/sign');
const sign = req('@sigstore/sign');
const bundleLib = req('@sigstore/bundle');

const usage = () => {
  console.error('usage: sign-keyless.mjs STATEMENT OUT_BUNDLE --fulcio URL --rekor URL --token JWT [--tsa URL]');
  process.exit(2);
};
const positional = [];
const flags = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const m = /^--(fulcio|rekor|token|tsa)$/.exec(argv[i]);
  if (m) {
    if (argv[i + 1] === undefined) usage();
    flags[m[1]] = argv[++i];
  } else positional.push(argv[i]);
}
if (positional.length !== 2 || !flags.fulcio || !flags.rekor || !flags.token) usage();
const [statementPath, outPath] = positional;

// DER: tag, length, contents.
const der = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
// The element at `at`: its tag and where its contents start and end.
const element = (buf, at) => {
  const tag = buf[at];
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + buf[start + i];
    start += bytes;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
};

// RFC 3161 over HTTP (RFC 3161 section 3.4): application/timestamp-query in,
// application/timestamp-reply out.
const rfc3161Witness = (url) => ({
  async testify(content) {
    const signature = content.dsseEnvelope.signatures[0].sig;
    const sha256Oid = Buffer.from('0609608648016503040201', 'hex');
    const query = der(0x30,
      der(0x02, Buffer.from([1])),                                   // version v1
      der(0x30, der(0x30, sha256Oid, Buffer.from([5, 0])),          // messageImprint
        der(0x04, createHash('sha256').update(signature).digest())),
      der(0x01, Buffer.from([0xff])));                               // certReq
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: query });
    if (!res.ok) throw new Error(`timestamp authority answered HTTP ${res.status}`);
    const reply = Buffer.from(await res.arrayBuffer());
    const resp = element(reply, 0);
    const status = element(reply, resp.start);
    const code = element(reply, status.start);
    const granted = reply.subarray(code.start, code.end).readUIntBE(0, code.end - code.start);
    if (granted > 1 || status.end >= resp.end) throw new Error(`timestamp authority refused (PKIStatus ${granted})`);
    // The whole TimeStampResp, as Sigstore's bundles carry it (status and token).
    return { rfc3161Timestamps: [{ signedTimestamp: reply.subarray(0, resp.end) }] };
  },
});

const statement = readFileSync(statementPath);
const witnesses = [new sign.RekorWitness({ rekorBaseURL: flags.rekor, entryType: 'dsse' })];
if (flags.tsa) witnesses.push(rfc3161Witness(flags.tsa));
const builder = new sign.DSSEBundleBuilder({
  signer: new sign.FulcioSigner({ fulcioBaseURL: flags.fulcio, identityProvider: { getToken: async () => flags.token } }),
  witnesses,
});
let bundle;
try {
  bundle = await builder.create({ data: statement, type: 'application/vnd.in-toto+json' });
} catch (e) {
  console.error(`sign-keyless: ${e.code ? e.code + ': ' : ''}${e.message}${e.cause ? ' (' + e.cause.message + ')' : ''}`);
  process.exit(1);
}
writeFileSync(outPath, JSON.stringify(bundleLib.bundleToJSON(bundle), null, 2) + '\n');
console.log(`sign-keyless: signed by @sigstore/sign ${ver('@sigstore/sign')}: ${bundle.mediaType}, tlogEntries=${bundle.verificationMaterial.tlogEntries.length}, rfc3161Timestamps=${bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length}`);
