#!/usr/bin/env python3
"""verify-pypi-provenance.py PROVENANCE.json TRUSTED_ROOT.json FILENAME SHA256 IDENTITY

Judges a PyPI file's PEP 740 provenance object (what PyPI's integrity API answers for a
file), independently of tacos-sbom, with sigstore-python offline: each attestation is put
into the Sigstore bundle (v0.3) PEP 740 says it is a form of, here, by this script, then

  sigstore.models.TrustedRoot.from_file(TRUSTED_ROOT)           (no TUF, no network)
  sigstore.models.Bundle.from_json(...)
  sigstore.verify.Verifier(trusted_root=...).verify_dsse(bundle,
      sigstore.verify.policy.Identity(identity=IDENTITY,
                                      issuer="https://token.actions.githubusercontent.com"))

and the in-toto statement must name FILENAME with SHA256 (the digest the registry lists).
Every attestation must pass. Prints each one's predicate type and the certificate's
SourceRepositoryURI (1.3.6.1.4.1.57264.1.12), read with pyca/cryptography.
Exit: 0 verified, 1 failed, 2 usage/setup error.
"""
import json
import os
import socket
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["sigstore", "cryptography"])


def _refuse_network(*_args, **_kwargs):
    raise OSError("verify-pypi-provenance.py refuses network use")


socket.socket.connect = _refuse_network
socket.create_connection = _refuse_network
socket.getaddrinfo = _refuse_network

import base64  # noqa: E402

from cryptography import x509  # noqa: E402
from sigstore.models import Bundle, TrustedRoot  # noqa: E402
from sigstore.verify import Verifier, policy  # noqa: E402

NAME = "verify-pypi-provenance"
GITHUB = "https://token.actions.githubusercontent.com"
SOURCE_REPOSITORY_URI = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12")


def fail(msg):
    print("%s: FAIL %s" % (NAME, msg), file=sys.stderr)
    return 1


def main():
    if len(sys.argv) != 6:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    prov_path, root_path, filename, sha256, identity = sys.argv[1:]
    verifier = Verifier(trusted_root=TrustedRoot.from_file(root_path))
    with open(prov_path, "rb") as f:
        prov = json.load(f)
    if prov.get("version") != 1:
        return fail("not a version 1 provenance object")
    n = 0
    for group in prov.get("attestation_bundles", []):
        for att in group.get("attestations", []):
            vm, env = att["verification_material"], att["envelope"]
            bundle = Bundle.from_json(json.dumps({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": {
                    "certificate": {"rawBytes": vm["certificate"]},
                    "tlogEntries": vm["transparency_entries"],
                },
                "dsseEnvelope": {
                    "payload": env["statement"],
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [{"sig": env["signature"]}],
                },
            }))
            try:
                _, payload = verifier.verify_dsse(bundle, policy.Identity(identity=identity, issuer=GITHUB))
            except Exception as e:  # noqa: BLE001 - any refusal is the verdict
                return fail("verify_dsse: %s: %s" % (type(e).__name__, e))
            statement = json.loads(payload)
            if not any(s.get("name") == filename and s.get("digest", {}).get("sha256") == sha256
                       for s in statement.get("subject", [])):
                return fail("no subject %s with sha256 %s" % (filename, sha256))
            cert = x509.load_der_x509_certificate(base64.b64decode(vm["certificate"]))
            ext = cert.extensions.get_extension_for_oid(SOURCE_REPOSITORY_URI).value.value
            # The extension holds a DER UTF8String: tag, length, text.
            repo = ext[2:].decode()
            print("%s: VERIFIED: %s, source repository %s, subject %s sha256 %s..."
                  % (NAME, statement.get("predicateType"), repo, filename, sha256[:16]))
            n += 1
    if n == 0:
        return fail("no attestations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
