#!/usr/bin/env node
// oci-attach.mjs REGISTRY/REPOSITORY IMAGE_DIGEST BUNDLE [USER PASSWORD]
//
// Attach a Sigstore bundle to an image as an OCI referrer with @sigstore/oci, the
// client GitHub's actions/attest uses: attachArtifactToImage({imageName, imageDigest,
// artifact, mediaType: application/vnd.dev.sigstore.bundle.v0.3+json, annotations}).
// On a registry without the referrers API it appends to the sha256-<hex> tag index
// itself, reading any index already there. A loopback registry is spoken to over HTTP.
// Prints the referrer manifest's descriptor as JSON.
// Exit: 0 attached, 1 refused, 2 usage/setup error.
import { readFileSync } from 'node:fs';
import { npmProject } from './npm-project.mjs';

const oci = npmProject('oci-attach', '@sigstore/oci').req('@sigstore/oci');
const [imageName, imageDigest, bundlePath, username, password] = process.argv.slice(2);
if (!imageName || !imageDigest || !bundlePath) {
  console.error('usage: oci-attach.mjs REGISTRY/REPOSITORY IMAGE_DIGEST BUNDLE [USER PASSWORD]');
  process.exit(2);
}
const artifact = readFileSync(bundlePath);
const statement = JSON.parse(Buffer.from(JSON.parse(artifact).dsseEnvelope.payload, 'base64'));
try {
  const descriptor = await oci.attachArtifactToImage({
    imageName,
    imageDigest,
    artifact,
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': statement.predicateType,
    },
    credentials: username ? { username, password } : undefined,
  });
  console.log(JSON.stringify(descriptor));
} catch (e) {
  console.error(`attach failed: ${e.message}${e.cause ? ': ' + e.cause.message : ''}`);
  process.exit(1);
}
