#!/usr/bin/env python3
"""sign-dsse.py: make DSSE / in-toto / Sigstore-bundle TEST VECTORS with pyca/cryptography only.

This is a deliberately tiny, independent *reference signer* (not the project's code) used to
prove the verifiers and to produce golden inputs, including deliberately broken ones.

  sign-dsse.py --key KEY.pem --payload FILE            [options]   # sign arbitrary bytes
  sign-dsse.py --key KEY.pem --statement-for ARTIFACT  [options]   # in-toto Statement v1 for ARTIFACT

options:
  --payload-type T         default application/vnd.in-toto+json
  --predicate-type URI     (with --statement-for) default https://example.com/test-predicate/v1
  --keyid ID               DSSE signature keyid (default ""); --no-keyid omits the field
  --sig-encoding der|raw   ECDSA signature encoding (default der = ASN.1 DER; raw = r||s P1363)
  --b64 std|url|std-nopad  base64 flavour for payload and sig (default std, padded)
  --bundle                 emit a Sigstore bundle v0.3 (publicKey verificationMaterial)
  --hint H                 bundle publicKey.hint (default: base64(sha256(SPKI DER)))
  --tamper-payload         flip one bit of the middle payload byte AFTER signing (negative vector)
  -o OUT                   output file (default stdout)

DSSE v1 PAE (what is signed):
  "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
  LEN = ASCII decimal byte length, no leading zeros; payloadType as UTF-8 bytes.
ECDSA P-256: ECDSA-SHA256 over the PAE bytes (the PAE is hashed once by the signature
algorithm; do not pre-hash). Ed25519: PureEdDSA over the PAE bytes.
"""
import argparse
import base64
import hashlib
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["cryptography"])

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def b64(data: bytes, flavour: str) -> str:
    if flavour == "url":
        return base64.urlsafe_b64encode(data).decode()
    s = base64.b64encode(data).decode()
    return s.rstrip("=") if flavour == "std-nopad" else s


def sign(key, data: bytes, encoding: str) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        h = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(),
             "secp521r1": hashes.SHA512()}[key.curve.name]
        der = key.sign(data, ec.ECDSA(h))
        if encoding == "der":
            return der
        r, s = decode_dss_signature(der)
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    raise SystemExit("sign-dsse: unsupported key type %s" % type(key).__name__)


def main():
    ap = argparse.ArgumentParser(description="DSSE/in-toto/Sigstore-bundle test-vector signer")
    ap.add_argument("--key", required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--payload")
    g.add_argument("--statement-for", metavar="ARTIFACT")
    ap.add_argument("--payload-type", default="application/vnd.in-toto+json")
    ap.add_argument("--predicate-type", default="https://example.com/test-predicate/v1")
    ap.add_argument("--keyid", default="")
    ap.add_argument("--no-keyid", action="store_true")
    ap.add_argument("--sig-encoding", choices=["der", "raw"], default="der")
    ap.add_argument("--b64", choices=["std", "url", "std-nopad"], default="std")
    ap.add_argument("--bundle", action="store_true")
    ap.add_argument("--hint")
    ap.add_argument("--tamper-payload", action="store_true")
    ap.add_argument("-o", "--out")
    a = ap.parse_args()

    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)

    if a.payload:
        with open(a.payload, "rb") as f:
            payload = f.read()
    else:
        with open(a.statement_for, "rb") as f:
            art = f.read()
        stmt = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": os.path.basename(a.statement_for),
                         "digest": {"sha256": hashlib.sha256(art).hexdigest()}}],
            "predicateType": a.predicate_type,
            "predicate": {"note": "test vector from sign-dsse.py"},
        }
        payload = json.dumps(stmt, separators=(",", ":")).encode()

    sig = sign(key, pae(a.payload_type, payload), a.sig_encoding)
    if a.tamper_payload:
        i = len(payload) // 2  # flip one bit of the middle byte, after signing
        payload = payload[:i] + bytes([payload[i] ^ 0x01]) + payload[i + 1:]
    sig_obj = {"sig": b64(sig, a.b64)}
    if not a.no_keyid:
        sig_obj = {"keyid": a.keyid, "sig": b64(sig, a.b64)}
    env = {"payloadType": a.payload_type, "payload": b64(payload, a.b64), "signatures": [sig_obj]}

    if a.bundle:
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        hint = a.hint if a.hint is not None else base64.b64encode(hashlib.sha256(spki).digest()).decode()
        out = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
            "dsseEnvelope": env,
        }
    else:
        out = env
    text = json.dumps(out, indent=2) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
