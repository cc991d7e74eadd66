#!/usr/bin/env python3
"""verify-bundle-keyless.py BUNDLE TRUSTED_ROOT.json --certificate-identity ID --certificate-oidc-issuer ISS [--timestamps N] [--debug]

Offline verification by sigstore-python of a keyless Sigstore bundle (v0.3: a Fulcio
certificate, a DSSE envelope, a Rekor v1 dsse entry), against the CAs, CT logs, transparency
logs and timestamp authorities a trusted_root.json names. A second judge beside sigstore-js
(verify-bundle-keyless.mjs), written by other people in another language:

  sigstore.models.TrustedRoot.from_file(TRUSTED_ROOT)      (no TUF, no network)
  sigstore.models.Bundle.from_json(BUNDLE)
  sigstore.verify.Verifier(trusted_root=...).verify_dsse(bundle,
                           sigstore.verify.policy.Identity(identity=ID, issuer=ISS))

verify_dsse passes only if: at least one verified time exists (an RFC 3161 timestamp that
verifies against a timestamp authority of the root, or the log's integrated time backed by its
SET); the certificate chains to a trusted CA at every verified time; it carries an SCT from a
trusted CT log; KeyUsage has digitalSignature and ExtendedKeyUsage codeSigning; the issuer
extension (1.3.6.1.4.1.57264.1.1) is exactly ISS and a SAN (email, URI or Sigstore othername)
is exactly ID; the Merkle inclusion proof leads to the root hash of a checkpoint signed by a
trusted log, and the SET verifies; every verified time lies within the certificate's validity;
the DSSE signature verifies with the certificate's key; and the dsse 0.0.1 entry body names
this payload's SHA-256 and this signature with this certificate.

--timestamps N  additionally require N verified times (sigstore-python itself requires 1; a
                timestamp that fails to verify is skipped silently there). Counted with
                Verifier._establish_time, a private method of sigstore-python: labelled [private].
--debug         sigstore-python's debug log on stderr (why a timestamp was skipped, ...).

All network use is refused in this process: the verdict comes from the files alone.
Exit: 0 verified, 1 verification failure (the exception's message printed), 2 usage/setup error.
"""
import argparse
import logging
import os
import socket
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["sigstore", "sigstore_models", "rfc3161_client", "cryptography"])


def _refuse_network(*_args, **_kwargs):
    raise OSError("verify-bundle-keyless.py refuses network use: verification is offline")


# Offline by construction: any connection or name lookup sigstore-python might attempt fails
# loudly instead of reaching a service.
socket.socket.connect = _refuse_network
socket.socket.connect_ex = _refuse_network
socket.create_connection = _refuse_network
socket.getaddrinfo = _refuse_network

from importlib.metadata import version as dv  # noqa: E402

from sigstore.errors import Error as SigstoreError  # noqa: E402
from sigstore.models import Bundle, TrustedRoot  # noqa: E402
from sigstore.verify import Verifier, policy  # noqa: E402

NAME = "verify-bundle-keyless"


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("trusted_root")
    ap.add_argument("--certificate-identity", required=True)
    ap.add_argument("--certificate-oidc-issuer", required=True)
    ap.add_argument("--timestamps", type=int, default=None)
    ap.add_argument("--debug", action="store_true")
    a = ap.parse_args()
    if a.timestamps is not None and a.timestamps < 0:
        ap.error("--timestamps takes N >= 0")
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.WARNING,
                        format="%(name)s %(levelname)s: %(message)s")

    print("%s: judged by sigstore-python: sigstore %s (sigstore-models %s, sigstore-rekor-types %s, "
          "rfc3161-client %s, pyca/cryptography %s; python %s)"
          % (NAME, dv("sigstore"), dv("sigstore-models"), dv("sigstore-rekor-types"),
             dv("rfc3161-client"), dv("cryptography"), sys.version.split()[0]))

    try:
        root = TrustedRoot.from_file(a.trusted_root)
        verifier = Verifier(trusted_root=root)
    except Exception as e:  # noqa: BLE001 - any failure to load the root is a setup error
        print("%s: cannot load trusted root %s: %s: %s" % (NAME, a.trusted_root, type(e).__name__, e),
              file=sys.stderr)
        return 2
    inner = root._inner
    try:
        with open(a.bundle, "rb") as f:
            raw = f.read()
    except OSError as e:
        print("%s: cannot read bundle: %s" % (NAME, e), file=sys.stderr)
        return 2
    try:
        bundle = Bundle.from_json(raw)
    except Exception as e:  # noqa: BLE001 - InvalidBundle, or a model error for a malformed document
        return fail("sigstore.models.Bundle.from_json", e)

    vm = bundle._inner.verification_material
    entry = bundle.log_entry._inner
    # The models' raw list: decoding the timestamps is verify_dsse's business (and verdict).
    tvd = vm.timestamp_verification_data
    print("%s: bundle=%s mediaType=%s content=%s tlogEntry=%s/%s rfc3161Timestamps=%d; root: "
          "certificateAuthorities=%d ctlogs=%d tlogs=%d timestampAuthorities=%d"
          % (NAME, a.bundle, bundle._inner.media_type,
             "dsseEnvelope" if bundle._dsse_envelope is not None else "messageSignature",
             entry.kind_version.kind, entry.kind_version.version,
             len(tvd.rfc3161_timestamps) if tvd else 0,
             len(inner.certificate_authorities), len(inner.ctlogs), len(inner.tlogs),
             len(inner.timestamp_authorities)))
    if vm.certificate is None:
        return fail("verify-bundle-keyless", "verificationMaterial holds no certificate (not keyless)")

    identity = policy.Identity(identity=a.certificate_identity, issuer=a.certificate_oidc_issuer)
    try:
        payload_type, payload = verifier.verify_dsse(bundle, identity)
    except Exception as e:  # noqa: BLE001 - VerificationError and whatever else refuses the bundle
        return fail("sigstore.verify.Verifier.verify_dsse", e)

    # Which times were verified; sigstore-python's API does not return them.
    try:
        times = verifier._establish_time(bundle)
    except Exception as e:  # noqa: BLE001
        return fail("sigstore-python [private] Verifier._establish_time", e)
    print("%s: [private] verified times: %s" % (
        NAME, ", ".join("%s %s" % (t.source.name, t.time.isoformat()) for t in times) or "none"))
    if a.timestamps is not None and len(times) < a.timestamps:
        return fail("verify-bundle-keyless", "%d verified time(s), %d required (--timestamps)"
                    % (len(times), a.timestamps))
    print("%s: VERIFIED: identity %s, issuer %s, payloadType %s, payload %d bytes"
          % (NAME, a.certificate_identity, a.certificate_oidc_issuer, payload_type, len(payload)))
    return 0


def fail(src, e):
    if isinstance(e, BaseException):
        text = e.diagnostics() if isinstance(e, SigstoreError) else str(e)
        cause = e.__cause__ or e.__context__
        if cause is not None and str(cause) and str(cause) in text:
            cause = None  # already told: sigstore-python re-raises with the cause's text
        msg = "%s: %s%s" % (type(e).__name__, text.strip(),
                            " (cause: %s: %s)" % (type(cause).__name__, cause) if cause else "")
    else:
        msg = e
    print("%s: FAIL [%s] %s" % (NAME, src, msg), file=sys.stderr)
    return 1


if __name__ == "__main__":
    try:
        code = main()
    except Exception:  # noqa: BLE001 - a fault of this script, not a verdict on the bundle
        import traceback
        traceback.print_exc()
        print("%s: internal error (not a verdict)" % NAME, file=sys.stderr)
        code = 2
    sys.exit(code)
