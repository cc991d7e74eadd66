#!/usr/bin/env python3
"""verify-dsse.py ENVELOPE PUBKEY.pem [--artifact FILE] [options]

Verify a DSSE envelope (or the dsseEnvelope inside a Sigstore bundle) with a PEM public key
(ECDSA P-256/P-384/P-521, Ed25519, RSA) using independent third-party implementations:

  * securesystemslib  dsse.Envelope.from_dict(...).verify([SSlibKey], threshold)
                      (PAE + signature check via pyca/cryptography)
  * in-toto-attestation  protobuf Statement parse + Statement.validate()   (payload is an
                      in-toto Statement; skip with --no-statement)

plus a few clearly-labelled [own] checks where the reference libraries are silent:
literal JSON field names (_type/subject/predicateType), DigestSet hex/length (mirrors the Go
reference ResourceDescriptor.Validate of in-toto/attestation), payloadType, and --artifact
digest matching (DigestSet semantics: any accepted algorithm matching is a match).

options:
  --artifact FILE       require a subject whose sha256/sha384/sha512 digest equals FILE's
  --payload-type T      exact payloadType required (default: application/vnd.in-toto+json or
                        application/vnd.in-toto.<predicate>+json)
  --threshold N         signatures that must verify (default 1)
  --no-statement        payload is not an in-toto Statement; only check the signature
  --strict-predicate    treat in-toto-attestation's "Predicate object required" as an error
                        (the spec says predicate is optional; default: warning)
  --allow-missing-keyid accept signatures without a "keyid" field (DSSE allows it, but
                        securesystemslib cannot parse it; default: error)
Exit: 0 verified, 1 verification/validation failure, 2 usage/setup error.
"""
import argparse
import base64
import binascii
import copy
import hashlib
import json
import os
import re
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["securesystemslib", "cryptography", "in_toto_attestation", "google.protobuf"])

from importlib.metadata import version as dv  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402
from securesystemslib import exceptions as sslib_exc  # noqa: E402
from securesystemslib.dsse import Envelope  # noqa: E402
from securesystemslib.signer import SSlibKey  # noqa: E402

INTOTO_TYPE_RE = re.compile(r"^application/vnd\.in-toto(\.[A-Za-z0-9._-]+)?\+json$")
# digest sizes in bytes, as in in-toto/attestation go/v1/resource_descriptor.go
FIXED = {"md5": 16, "sha1": 20, "sha224": 28, "sha512_224": 28, "sha256": 32, "sha512_256": 32,
         "sha384": 48, "sha512": 64, "sha3_224": 28, "sha3_256": 32, "sha3_384": 48, "sha3_512": 64,
         "gitCommit": 20, "dirHash": 32}
STATEMENT_KEYS = {"_type", "subject", "predicateType", "predicate"}
RD_KEYS = {"name", "uri", "digest", "content", "downloadLocation", "mediaType", "annotations"}


class Report:
    def __init__(self):
        self.errors, self.warnings = [], []

    def err(self, src, msg):
        self.errors.append("[%s] %s" % (src, msg))

    def warn(self, src, msg):
        self.warnings.append("[%s] %s" % (src, msg))


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n")[0])
    ap.add_argument("envelope")
    ap.add_argument("pubkey")
    ap.add_argument("--artifact")
    ap.add_argument("--payload-type")
    ap.add_argument("--threshold", type=int, default=1)
    ap.add_argument("--no-statement", action="store_true")
    ap.add_argument("--strict-predicate", action="store_true")
    ap.add_argument("--allow-missing-keyid", action="store_true")
    a = ap.parse_args()

    print("verify-dsse: judged by securesystemslib %s (dsse.Envelope.verify; pyca/cryptography %s)%s"
          % (dv("securesystemslib"), dv("cryptography"),
             "" if a.no_statement else " + in-toto-attestation %s (Statement.validate; protobuf %s)"
             % (dv("in-toto-attestation"), dv("protobuf"))))
    try:
        with open(a.envelope, "rb") as f:
            raw = f.read()
        with open(a.pubkey, "rb") as f:
            pub = serialization.load_pem_public_key(f.read())
    except (OSError, ValueError) as e:
        print("verify-dsse: cannot load input: %s" % e, file=sys.stderr)
        return 2

    r = Report()
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        print("verify-dsse: FAIL: envelope is not JSON: %s" % e, file=sys.stderr)
        return 1
    container = "DSSE envelope"
    if isinstance(doc, dict) and "dsseEnvelope" in doc:
        container = "Sigstore bundle (%s) -> dsseEnvelope" % doc.get("mediaType")
        doc = doc["dsseEnvelope"]
    elif isinstance(doc, dict) and ("messageSignature" in doc):
        print("verify-dsse: FAIL: bundle holds a messageSignature, not a DSSE envelope "
              "(use verify-bundle.mjs)", file=sys.stderr)
        return 1
    print("verify-dsse: input=%s (%s) key=%s %s" % (a.envelope, container, a.pubkey, _key_desc(pub)))
    if not isinstance(doc, dict) or not {"payload", "payloadType", "signatures"} <= set(doc):
        print("verify-dsse: FAIL: not a DSSE envelope (needs payload, payloadType, signatures)",
              file=sys.stderr)
        return 1

    sigs = doc.get("signatures") or []
    if container.startswith("Sigstore bundle") and len(sigs) != 1:
        r.err("own", "a Sigstore bundle's dsseEnvelope must hold exactly one signature, found %d "
              "(@sigstore/bundle rejects it: content.dsseEnvelope.signatures)" % len(sigs))
    missing = [i for i, s in enumerate(sigs) if isinstance(s, dict) and "keyid" not in s]
    if missing:
        msg = ("signatures%s have no \"keyid\" field: securesystemslib.dsse.Envelope.from_dict "
               "raises KeyError('keyid') (DSSE makes keyid optional, but emit \"keyid\": \"\" "
               "for interop)" % missing)
        if a.allow_missing_keyid:
            r.warn("securesystemslib", msg + " -- filled with \"\" (--allow-missing-keyid)")
            doc = copy.deepcopy(doc)
            for i in missing:
                doc["signatures"][i]["keyid"] = ""
        else:
            r.err("securesystemslib", msg)

    env = None
    if not r.errors:
        try:
            env = Envelope.from_dict(copy.deepcopy(doc))  # from_dict mutates its argument
        except (KeyError, ValueError, TypeError, binascii.Error, sslib_exc.FormatError) as e:
            r.err("securesystemslib", "cannot parse envelope: %s: %s" % (type(e).__name__, e))

    if env is not None:
        print("verify-dsse: payloadType=%r payload=%d bytes signatures=%d keyids=%s"
              % (env.payload_type, len(env.payload), len(env.signatures), list(env.signatures)))
        # securesystemslib only tries keys whose keyid equals the signature's keyid (its docs
        # note this is stricter than DSSE); the keyid is an unauthenticated hint, so we bind
        # the supplied public key to every keyid present.
        keys = [SSlibKey.from_crypto(pub, keyid=kid) if kid else _empty_keyid_key(pub)
                for kid in env.signatures]
        try:
            accepted = env.verify(keys, a.threshold)
            print("verify-dsse: [securesystemslib] signature OK (%d accepted, threshold %d)"
                  % (len(accepted), a.threshold))
        except (sslib_exc.VerificationError, sslib_exc.UnverifiedSignatureError, ValueError) as e:
            cause = e.__cause__ or e.__context__
            r.err("securesystemslib", "signature verification FAILED: %s%s"
                  % (e, " (cause: %s: %s)" % (type(cause).__name__, cause) if cause else ""))
            for kid, sig in env.signatures.items():
                hint = _ecdsa_encoding_hint(pub, bytes.fromhex(sig.signature))
                if hint:
                    r.err("own", "signature keyid=%r: %s" % (kid, hint))

        # payload type
        if a.payload_type:
            if env.payload_type != a.payload_type:
                r.err("own", "payloadType %r != expected %r" % (env.payload_type, a.payload_type))
        elif not a.no_statement and not INTOTO_TYPE_RE.match(env.payload_type):
            r.err("own", "payloadType %r is not application/vnd.in-toto[.<predicate>]+json"
                  % env.payload_type)

        if not a.no_statement:
            check_statement(env.payload, r, a)

    for w in r.warnings:
        print("verify-dsse: WARNING " + w)
    if r.errors:
        print("verify-dsse: FAIL (%d problem%s):" % (len(r.errors), "" if len(r.errors) == 1 else "s"),
              file=sys.stderr)
        for e in r.errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("verify-dsse: VERIFIED")
    return 0


def _empty_keyid_key(pub):
    k = SSlibKey.from_crypto(pub, keyid="x")
    k.keyid = ""
    return k


def _ecdsa_encoding_hint(pub, sig):
    """Diagnose the classic interop bug: raw r||s (IEEE P1363) instead of ASN.1 DER."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        return None
    n = (pub.curve.key_size + 7) // 8
    try:
        decode_dss_signature(sig)
        return None
    except ValueError:
        if len(sig) == 2 * n:
            return ("%d-byte signature is not ASN.1 DER; it looks like raw r||s (IEEE P1363). "
                    "securesystemslib/pyca-cryptography (and sigstore-js) require DER" % len(sig))
        return "%d-byte signature is not a valid ASN.1 DER ECDSA signature" % len(sig)


def _key_desc(pub):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return "(ECDSA %s)" % pub.curve.name
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return "(Ed25519)"
    if isinstance(pub, rsa.RSAPublicKey):
        return "(RSA-%d; securesystemslib default scheme rsassa-pss-sha256)" % pub.key_size
    return "(%s)" % type(pub).__name__


def check_statement(payload, r, a):
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        r.err("own", "payload is not UTF-8 JSON: %s" % e)
        return
    if not isinstance(obj, dict):
        r.err("own", "payload JSON is not an object")
        return
    # protobuf's JSON parser also accepts proto field names (type, predicate_type), so check the
    # literal names the spec mandates.
    for k in ("_type", "subject", "predicateType"):
        if k not in obj:
            r.err("own", "Statement lacks required JSON field %r (keys: %s)" % (k, sorted(obj)))
    extra = sorted(set(obj) - STATEMENT_KEYS)
    if extra:
        r.warn("own", "unrecognized Statement fields %s (spec: consumers ignore them)" % extra)
    try:
        pb = json_format.Parse(json.dumps(obj), statement_pb2.Statement(), ignore_unknown_fields=True)
    except json_format.ParseError as e:
        r.err("in-toto-attestation", "Statement does not parse: %s" % e)
        return
    try:
        Statement.copy_from_pb(pb).validate()
        print("verify-dsse: [in-toto-attestation] Statement.validate() OK: _type=%s predicateType=%s "
              "subjects=%d" % (pb.type, pb.predicate_type, len(pb.subject)))
    except ValueError as e:
        if str(e) == "Predicate object required" and not a.strict_predicate:
            r.warn("in-toto-attestation", "%s (in-toto Statement v1 says predicate is OPTIONAL; the "
                   "Python reference rejects absent or empty {} predicates, the Go one only absent)" % e)
        else:
            r.err("in-toto-attestation", "Statement.validate(): %s" % e)

    subjects = obj.get("subject") if isinstance(obj.get("subject"), list) else []
    for i, s in enumerate(subjects):
        if not isinstance(s, dict):
            continue
        extra = sorted(set(s) - RD_KEYS)
        if extra:
            r.warn("own", "subject[%d] unrecognized fields %s" % (i, extra))
        for alg, val in (s.get("digest") or {}).items():
            if alg in FIXED:
                if not isinstance(val, str) or not re.fullmatch(r"[0-9a-fA-F]*", val) or len(val) % 2:
                    r.err("own", "subject[%d].digest.%s is not hex-encoded (Go reference: "
                          "ErrInvalidDigestEncoding)" % (i, alg))
                elif len(val) // 2 != FIXED[alg]:
                    r.err("own", "subject[%d].digest.%s has %d bytes, want %d (Go reference: "
                          "ErrIncorrectDigestLength)" % (i, alg, len(val) // 2, FIXED[alg]))
                elif val != val.lower():
                    r.warn("own", "subject[%d].digest.%s is not lowercase hex (spec: lowercase)"
                           % (i, alg))

    if a.artifact:
        with open(a.artifact, "rb") as f:
            data = f.read()
        mine = {"sha256": hashlib.sha256(data).hexdigest(), "sha384": hashlib.sha384(data).hexdigest(),
                "sha512": hashlib.sha512(data).hexdigest()}
        hits = [(i, alg) for i, s in enumerate(subjects) if isinstance(s, dict)
                for alg, val in (s.get("digest") or {}).items()
                if alg in mine and isinstance(val, str) and val.lower() == mine[alg]]
        if hits:
            i, alg = hits[0]
            print("verify-dsse: [own] artifact %s matches subject[%d] (%r) by %s"
                  % (a.artifact, i, subjects[i].get("name"), alg))
        else:
            r.err("own", "artifact %s (sha256 %s) matches no subject digest" % (a.artifact, mine["sha256"]))


if __name__ == "__main__":
    sys.exit(main())
