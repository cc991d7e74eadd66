#!/usr/bin/env node
// sigstore-standin.mjs [--rekor-wrong-body] [--rekor-bad-set] [--fulcio-clock ISO]
//
// Loopback stand-ins for the public-good Sigstore services, so keyless signing and its
// verification are tested without the internet, in one process, over plain HTTP on
// 127.0.0.1 (ephemeral ports):
//
//   Fulcio  POST /api/v2/signingCert   @sigstore/mock's CA (initializeCTLog, initializeCA,
//           fulcioHandler): a real X.509 leaf for the request's key, with an SCT embedded
//           by a test CT log, the token's email (or else sub) as a URI SAN and its iss in
//           1.3.6.1.4.1.57264.1.1 and .1.8; valid for 10 minutes from its clock. The token's
//           signature is never checked (the mock decodes it); checked here, as Fulcio does:
//           aud contains "sigstore", exp (if any) is in the future, an email is verified,
//           and the proof of possession (a signature over that subject with the requested
//           key) verifies.
//   Rekor   POST /api/v1/log/entries   our own v1 log (the mock's stores the request itself
//           as the entry body, which no verifier accepts): kind dsse 0.0.1 only. It checks
//           every envelope signature against a verifier (certificate or public key, base64
//           PEM) as Rekor does, 400 otherwise; logs Rekor's canonicalized body
//           {apiVersion, kind, spec: {envelopeHash, payloadHash, signatures: [{signature,
//           verifier}]}} (sorted keys, no spaces) as a leaf of an RFC 6962 tree; and answers
//           201 {uuid: {body, integratedTime, logID, logIndex, verification:
//           {signedEntryTimestamp, inclusionProof: {checkpoint, hashes, logIndex, rootHash,
//           treeSize}}}}. The same body twice is 409 with a Location, as Rekor answers.
//           GET /api/v1/log, /api/v1/log/publicKey, /api/v1/log/entries/UUID as well.
//           hashedrekord is refused: its signature is over a digest, which node's crypto
//           cannot verify without the message.
//           POST /api/v2/log/entries   a Rekor v2 (tile) log of its own beside it, with an
//           Ed25519 key: {hashedRekordRequestV002: {digest, signature: {content, verifier:
//           {x509Certificate: {rawBytes}, keyDetails}}}} becomes the canonical hashedrekord
//           0.0.2 body (sorted keys) as a leaf of its own RFC 6962 tree, answered 201 with a
//           TransparencyLogEntry {logIndex, logId, kindVersion, inclusionProof: {logIndex,
//           rootHash, treeSize, hashes, checkpoint: {envelope}}, canonicalizedBody}: no time,
//           no signed entry timestamp. Its checkpoint is a C2SP signed note whose origin is
//           the host and whose key id is SHA-256(origin, "\n", 0x01, the raw key): the log id
//           the trusted root names. Not checked here: the signature over the digest (node's
//           crypto needs the message); the verifiers check it.
//
// Faults, for negative tests:
//   --rekor-wrong-body   every answer is a genuine entry for another artifact (another
//                        statement signed by another key), proof and SET included; on v2,
//                        an entry for another digest
//   --rekor-bad-set      signedEntryTimestamp signed by a key the trusted root does not name
//   --fulcio-clock ISO   the CA and CT log work at that time: a date years ago gives a
//                        certificate long expired when its signature is logged
//
// Prints one JSON line on stdout when both listen:
//   {"fulcio":"http://127.0.0.1:P","rekor":"http://127.0.0.1:Q","trustedRoot":{...}}
// trustedRoot is a complete trusted_root.json (protobuf-specs JSON) naming the CA, CT log
// and both Rekor logs above (v1 ECDSA, v2 Ed25519; one base URL), with no timestamp
// authorities. One line per request goes to stderr.
// Runs until killed or until its stdin closes (so a test that dies never leaks it).
// Exit: 2 usage/setup error.
import { createHash, createPublicKey, generateKeyPairSync, randomInt, sign, verify, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { npmProject } from './npm-project.mjs';

const mock = npmProject('sigstore-standin', '@sigstore/mock').req('@sigstore/mock');

const usage = () => {
  console.error('usage: sigstore-standin.mjs [--rekor-wrong-body] [--rekor-bad-set] [--fulcio-clock ISO]');
  process.exit(2);
};
const opts = { wrongBody: false, badSet: false, clock: undefined };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rekor-wrong-body') opts.wrongBody = true;
  else if (argv[i] === '--rekor-bad-set') opts.badSet = true;
  else if (argv[i] === '--fulcio-clock' && argv[i + 1]) {
    opts.clock = new Date(argv[++i]);
    if (Number.isNaN(opts.clock.getTime())) usage();
  } else usage();
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const spki = (key) => key.export({ format: 'der', type: 'spki' });
const b64 = (buf) => Buffer.from(buf).toString('base64');
// Sorted keys, no spaces: RFC 8785 for the strings and integers these documents hold.
const canonical = (v) => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
};
// Go's pem.Encode: what Rekor keeps as a verifier's canonical value.
const pem = (type, der) => `-----BEGIN ${type}-----\n${b64(der).match(/.{1,64}/g).join('\n')}\n-----END ${type}-----\n`;
const pae = (type, body) => Buffer.concat([
  Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body,
]);
// The digest an ECDSA key signs with, as sigstore pairs them; null for Ed25519.
const digestFor = (key) => ({ prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' })[key.asymmetricKeyDetails?.namedCurve] ?? null;

class HttpError extends Error {
  constructor(status, message, headers = {}) { super(message); this.status = status; this.headers = headers; }
}

// ------------------------------------------------------------------ Fulcio
const started = new Date();
const clock = opts.clock;
const caKeys = p256();
const ctKeys = p256();
const ctlog = await mock.initializeCTLog(ctKeys, clock);
const ca = await mock.initializeCA(caKeys, ctlog, clock);
// fulcioHandler reads one claim for the SAN; Fulcio takes the email when the token has one.
const handlers = {
  sub: mock.fulcioHandler(ca, { strict: true, subjectClaim: 'sub' }),
  email: mock.fulcioHandler(ca, { strict: true, subjectClaim: 'email' }),
};

function claimsOf(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw new HttpError(400, 'the identity token is not a JWT');
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(400, 'the identity token\'s claims are not JSON');
  }
}

async function fulcio(body) {
  let request;
  try { request = JSON.parse(body); } catch { throw new HttpError(400, 'the request is not JSON'); }
  const claims = claimsOf(request?.credentials?.oidcIdentityToken);
  const aud = [].concat(claims.aud ?? []);
  if (!aud.includes('sigstore')) throw new HttpError(401, `the token's audience is ${JSON.stringify(claims.aud)}, not "sigstore"`);
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) throw new HttpError(401, 'the token has expired');
  if (typeof claims.iss !== 'string') throw new HttpError(400, 'the token names no issuer');
  const claim = typeof claims.email === 'string' ? 'email' : 'sub';
  const subject = claims[claim];
  if (typeof subject !== 'string' || !subject) throw new HttpError(400, 'the token names no subject');
  if (claim === 'email' && claims.email_verified !== true) throw new HttpError(400, 'the token\'s email is not verified');
  const keyRequest = request.publicKeyRequest;
  if (keyRequest) {
    let key;
    try { key = createPublicKey(keyRequest.publicKey?.content); } catch (e) {
      throw new HttpError(400, `the public key does not parse: ${e.message}`);
    }
    const proof = Buffer.from(keyRequest.proofOfPossession ?? '', 'base64');
    let ok = false;
    try { ok = verify(digestFor(key), Buffer.from(subject), key, proof); } catch { /* not a signature */ }
    if (!ok) throw new HttpError(400, `the proof of possession is not the key's signature over the subject ${JSON.stringify(subject)}`);
  }
  const answer = await handlers[claim].fn(body);
  if (answer.statusCode !== 201) throw new HttpError(answer.statusCode, String(answer.response));
  return { status: 201, body: answer.response, note: `${claim}=${subject}` };
}

// ------------------------------------------------------------------ Rekor
const rekorKeys = p256();
const rekorSpki = spki(rekorKeys.publicKey);
const logID = sha256(rekorSpki);
const setKey = opts.badSet ? p256().privateKey : rekorKeys.privateKey;
const treeID = randomInt(2 ** 47, 2 ** 48 - 1);
const treeIDHex = treeID.toString(16).padStart(16, '0');
const entries = new Map();    // uuid -> the entry as answered
const byLeaf = new Map();     // leaf hash hex -> uuid

const leafHash = (body) => sha256(Buffer.from([0]), body);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const split = (n) => 2 ** Math.floor(Math.log2(n - 1));   // largest power of two < n
// An RFC 6962 tree: its leaf hashes in log order, and the full subtrees' hashes (which never
// change) remembered.
class Tree {
  constructor() { this.leaves = []; this.subtrees = new Map(); }
  // RFC 6962 2.1: MTH over leaves[start, end).
  mth(start, end) {
    if (end - start === 1) return this.leaves[start];
    const memo = `${start}:${end}`;
    if (!this.subtrees.has(memo)) {
      const k = split(end - start);
      this.subtrees.set(memo, nodeHash(this.mth(start, start + k), this.mth(start + k, end)));
    }
    return this.subtrees.get(memo);
  }
  // RFC 6962 2.1.1: the audit path of leaf m in leaves[start, end), lowest level first.
  path(m, start, end) {
    if (end - start === 1) return [];
    const k = split(end - start);
    return m < k
      ? [...this.path(m, start, start + k), this.mth(start + k, end)]
      : [...this.path(m - k, start + k, end), this.mth(start, start + k)];
  }
}
const v1 = new Tree();
const leaves = v1.leaves;
const mth = (start, end) => v1.mth(start, end);
const path = (m, start, end) => v1.path(m, start, end);

// A signed note as Rekor v1 writes its checkpoints: origin "<host> - <tree ID>", size, root;
// one signature line named by the host (verifiers match that name against the log's URL)
// whose bytes are the key hint (first 4 bytes of SHA-256 of the SPKI) and the signature.
let host = '';
function checkpoint(size, root) {
  const note = `${host} - ${treeID}\n${size}\n${b64(root)}\n`;
  const sig = sign('sha256', Buffer.from(note), rekorKeys.privateKey);
  return `${note}\n\u2014 ${host} ${b64(Buffer.concat([logID.subarray(0, 4), sig]))}\n`;
}

function verifierKey(b64pem) {
  const text = Buffer.from(String(b64pem), 'base64').toString('utf8');
  try {
    const cert = new X509Certificate(text);
    return { key: cert.publicKey, canonical: pem('CERTIFICATE', cert.raw) };
  } catch { /* not a certificate: a public key? */ }
  try {
    const key = createPublicKey(text);
    return { key, canonical: pem('PUBLIC KEY', spki(key)) };
  } catch (e) {
    throw new HttpError(400, `a verifier is neither a certificate nor a public key: ${e.message}`);
  }
}

// Rekor's dsse 0.0.1 body for a proposed envelope (a JSON string) and verifiers.
function dsseBody(envelopeText, verifiers) {
  let env;
  try { env = JSON.parse(envelopeText); } catch { throw new HttpError(400, 'the envelope is not JSON'); }
  if (typeof env?.payload !== 'string' || typeof env.payloadType !== 'string' || !Array.isArray(env.signatures) || env.signatures.length === 0) {
    throw new HttpError(400, 'the envelope lacks payload, payloadType or signatures');
  }
  if (!Array.isArray(verifiers) || verifiers.length === 0) throw new HttpError(400, 'no verifiers');
  const keys = verifiers.map(verifierKey);
  const payload = Buffer.from(env.payload, 'base64');
  const signed = pae(env.payloadType, payload);
  const signatures = env.signatures.map((s) => {
    const by = keys.find(({ key }) => {
      try { return verify(digestFor(key), signed, key, Buffer.from(String(s.sig), 'base64')); } catch { return false; }
    });
    if (!by) throw new HttpError(400, 'all signatures must have a key that verifies it');
    return { signature: s.sig, verifier: b64(by.canonical) };
  }).sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  return canonical({
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(envelopeText).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
      signatures,
    },
  });
}

// Another artifact's genuine entry: its own statement, signed by its own key.
let decoys = 0;
function decoyBody() {
  const key = p256();
  const subject = `another-artifact-${++decoys}`;
  const statement = JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: subject, digest: { sha256: sha256(subject).toString('hex') } }],
    predicateType: 'https://example.test/another/v1',
    predicate: {},
  });
  const type = 'application/vnd.in-toto+json';
  const sig = sign('sha256', pae(type, Buffer.from(statement)), key.privateKey);
  const envelope = JSON.stringify({ payload: b64(statement), payloadType: type, signatures: [{ keyid: '', sig: b64(sig) }] });
  return dsseBody(envelope, [b64(pem('PUBLIC KEY', spki(key.publicKey)))]);
}

function proofFor(index) {
  const size = leaves.length;
  const root = mth(0, size);
  return {
    checkpoint: checkpoint(size, root),
    hashes: path(index, 0, size).map((h) => h.toString('hex')),
    logIndex: index,
    rootHash: root.toString('hex'),
    treeSize: size,
  };
}

function rekorAppend(body) {
  const text = JSON.parse(body);
  if (text?.kind !== 'dsse' || text?.apiVersion !== '0.0.1') {
    throw new HttpError(400, `unsupported entry kind ${JSON.stringify(text?.kind)} version ${JSON.stringify(text?.apiVersion)}: this log takes dsse 0.0.1`);
  }
  const proposed = text.spec?.proposedContent;
  if (typeof proposed?.envelope !== 'string') throw new HttpError(400, 'spec.proposedContent.envelope is not a string');
  // Checked even when the answer is a decoy: a real log never takes a bad signature.
  let entryBody = dsseBody(proposed.envelope, proposed.verifiers);
  if (opts.wrongBody) entryBody = decoyBody();
  const bodyBytes = Buffer.from(entryBody);
  const leaf = leafHash(bodyBytes);
  const existing = byLeaf.get(leaf.toString('hex'));
  if (existing) {
    throw new HttpError(409, `An equivalent entry already exists in the transparency log with UUID ${existing}`,
      { Location: `/api/v1/log/entries/${existing}` });
  }
  const logIndex = leaves.length;
  leaves.push(leaf);
  const integratedTime = Math.floor(Date.now() / 1000);
  const uuid = treeIDHex + leaf.toString('hex');
  const signedPart = { body: b64(bodyBytes), integratedTime, logID: logID.toString('hex'), logIndex };
  const set = sign('sha256', Buffer.from(canonical(signedPart)), setKey);
  entries.set(uuid, { signedPart, set });
  byLeaf.set(leaf.toString('hex'), uuid);
  return { uuid, logIndex };
}

// The entry with a proof against the tree as it is now (as Rekor answers a GET).
function rekorEntry(uuid) {
  const { signedPart, set } = entries.get(uuid);
  return {
    [uuid]: {
      ...signedPart,
      verification: { signedEntryTimestamp: b64(set), inclusionProof: proofFor(signedPart.logIndex) },
    },
  };
}

async function rekor(method, url, body) {
  if (method === 'POST' && url === '/api/v2/log/entries') {
    const entry = v2Append(body);
    return { status: 201, body: JSON.stringify(entry), note: `v2 logIndex=${entry.logIndex}` };
  }
  if (method === 'POST' && url === '/api/v1/log/entries') {
    let appended;
    try { appended = rekorAppend(body); } catch (e) {
      if (e instanceof SyntaxError) throw new HttpError(400, 'the proposed entry is not JSON');
      throw e;
    }
    return {
      status: 201,
      body: JSON.stringify(rekorEntry(appended.uuid)),
      headers: { Location: `/api/v1/log/entries/${appended.uuid}` },
      note: `logIndex=${appended.logIndex}`,
    };
  }
  if (method === 'GET' && url.startsWith('/api/v1/log/entries/')) {
    const uuid = url.slice('/api/v1/log/entries/'.length);
    if (!entries.has(uuid)) throw new HttpError(404, 'no such entry');
    return { status: 200, body: JSON.stringify(rekorEntry(uuid)) };
  }
  if (method === 'GET' && url === '/api/v1/log') {
    const size = leaves.length;
    const root = size ? mth(0, size) : sha256(Buffer.alloc(0));
    return {
      status: 200,
      body: JSON.stringify({ rootHash: root.toString('hex'), signedTreeHead: checkpoint(size, root), treeID: String(treeID), treeSize: size }),
    };
  }
  if (method === 'GET' && url === '/api/v1/log/publicKey') {
    return { status: 200, body: pem('PUBLIC KEY', rekorSpki), type: 'application/x-pem-file' };
  }
  throw new HttpError(404, `no route ${method} ${url}`);
}

// ------------------------------------------------------------------ Rekor v2
const v2 = new Tree();
const v2Keys = generateKeyPairSync('ed25519');
const v2Spki = spki(v2Keys.publicKey);
let v2ID = Buffer.alloc(32);   // set once the host is known: it names the log
const v2Note = (size, root) => {
  const note = `${host}\n${size}\n${b64(root)}\n`;
  const sig = sign(null, Buffer.from(note), v2Keys.privateKey);
  return `${note}\n\u2014 ${host} ${b64(Buffer.concat([v2ID.subarray(0, 4), sig]))}\n`;
};

function v2Append(body) {
  let request;
  try { request = JSON.parse(body)?.hashedRekordRequestV002; } catch { throw new HttpError(400, 'the request is not JSON'); }
  if (!request) throw new HttpError(400, 'only hashedRekordRequestV002 is taken');
  let digest = Buffer.from(String(request.digest ?? ''), 'base64');
  const content = request.signature?.content;
  const verifier = request.signature?.verifier;
  const certificate = verifier?.x509Certificate?.rawBytes;
  if (digest.length !== 32 || typeof content !== 'string' || typeof certificate !== 'string' || typeof verifier?.keyDetails !== 'string') {
    throw new HttpError(400, 'digest (32 bytes), signature.content, verifier.x509Certificate.rawBytes and verifier.keyDetails are required');
  }
  try { new X509Certificate(Buffer.from(certificate, 'base64')); } catch (e) {
    throw new HttpError(400, `verifier.x509Certificate is not a certificate: ${e.message}`);
  }
  if (opts.wrongBody) digest = sha256(`another-artifact-${++decoys}`);
  const entryBody = Buffer.from(canonical({
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: { hashedRekordV002: {
      data: { algorithm: 'SHA2_256', digest: b64(digest) },
      signature: { content, verifier: { keyDetails: verifier.keyDetails, x509Certificate: { rawBytes: certificate } } },
    } },
  }));
  const index = v2.leaves.length;
  v2.leaves.push(leafHash(entryBody));
  const size = v2.leaves.length;
  const root = v2.mth(0, size);
  return {
    logIndex: String(index),
    logId: { keyId: b64(v2ID) },
    kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
    inclusionProof: {
      logIndex: String(index),
      rootHash: b64(root),
      treeSize: String(size),
      hashes: v2.path(index, 0, size).map(b64),
      checkpoint: { envelope: v2Note(size, root) },
    },
    canonicalizedBody: b64(entryBody),
  };
}

// ------------------------------------------------------------------ HTTP
function serve(name, route) {
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 16 << 20) chunks.push(c);
    });
    req.on('end', async () => {
      let answer;
      try {
        if (size > 16 << 20) throw new HttpError(413, 'request body over 16 MiB');
        answer = await route(req.method, req.url, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        // Both services answer errors as JSON {code, message}.
        answer = { status, body: JSON.stringify({ code: status, message: e.message }), headers: e.headers };
      }
      res.writeHead(answer.status, {
        'Content-Type': answer.type ?? 'application/json',
        'Content-Length': Buffer.byteLength(answer.body),
        ...answer.headers,
      });
      res.end(answer.body);
      console.error(`${name} ${req.method} ${req.url} ${answer.status}${answer.note ? ' ' + answer.note : ''}${answer.status >= 400 ? ' ' + answer.body : ''}`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const fulcioPort = await serve('fulcio', (method, url, body) => {
  if (method === 'POST' && url === '/api/v2/signingCert') return fulcio(body);
  throw new HttpError(404, `no route ${method} ${url}`);
});
const rekorPort = await serve('rekor', rekor);
host = `127.0.0.1:${rekorPort}`;
v2ID = sha256(Buffer.from(`${host}\n`), Buffer.from([1]), v2Spki.subarray(-32));
const fulcioURL = `http://127.0.0.1:${fulcioPort}`;
const rekorURL = `http://${host}`;

// Trusted from an hour before the earliest moment any of them signs.
const since = new Date(Math.min(started.getTime(), clock?.getTime() ?? Infinity) - 3600_000).toISOString();
const logKey = (der, keyDetails = 'PKIX_ECDSA_P256_SHA_256') => ({ rawBytes: b64(der), keyDetails, validFor: { start: since } });
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [
    { baseUrl: rekorURL, hashAlgorithm: 'SHA2_256', publicKey: logKey(rekorSpki), logId: { keyId: b64(logID) } },
    { baseUrl: rekorURL, hashAlgorithm: 'SHA2_256', publicKey: logKey(v2Spki, 'PKIX_ED25519'), logId: { keyId: b64(v2ID) } },
  ],
  certificateAuthorities: [{
    subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
    uri: fulcioURL,
    certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
    validFor: { start: since },
  }],
  // The CT log has no HTTP face: its SCTs arrive embedded in Fulcio's certificates.
  ctlogs: [{ baseUrl: `${fulcioURL}/ct`, hashAlgorithm: 'SHA2_256', publicKey: logKey(ctlog.publicKey), logId: { keyId: b64(ctlog.logID) } }],
  timestampAuthorities: [],
};
process.stdout.write(JSON.stringify({ fulcio: fulcioURL, rekor: rekorURL, trustedRoot }) + '\n');

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
