#!/usr/bin/env python3
"""Write cosign-format encrypted private keys with primitives independent of the Rust code.

The format (cosign / sigstore "encrypted" keys): a PEM block whose body is compact JSON
  {"kdf":{"name":"scrypt","params":{"N":N,"r":8,"p":1},"salt":B64},
   "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
with key = scrypt(password, salt, N, r, p, 32 bytes) and ciphertext = secretbox(PKCS#8 DER).

Primitives: hashlib.scrypt (Python stdlib, OpenSSL), PyNaCl SecretBox (libsodium), and
pyca/cryptography for key generation and PKCS#8 / SPKI encoding.

Usage: make-cosign-key.py OUT_DIR PASSWORD
Writes, for each case, NAME.key (encrypted) and NAME.pub (SPKI "PUBLIC KEY"):
  cosign          P-256,   "ENCRYPTED SIGSTORE PRIVATE KEY", N=65536 (cosign 2.x layout)
  cosign-legacy   P-256,   "ENCRYPTED COSIGN PRIVATE KEY",   N=32768 (cosign 1.x layout)
  cosign-ed25519  Ed25519, "ENCRYPTED SIGSTORE PRIVATE KEY", N=65536
"""
import base64
import hashlib
import json
import os
import sys
import textwrap

import nacl.secret
import nacl.utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def pem_block(label: str, der: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, body, label)


def encrypt(plaintext: bytes, password: bytes, n: int, r: int = 8, p: int = 1) -> bytes:
    salt = os.urandom(32)
    key = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32,
                         maxmem=256 * 1024 * 1024)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    # SecretBox.encrypt returns nonce || tag || ciphertext; cosign stores the nonce apart.
    boxed = nacl.secret.SecretBox(key).encrypt(plaintext, nonce)
    ciphertext = boxed.ciphertext
    b64 = lambda b: base64.b64encode(b).decode("ascii")
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
        "ciphertext": b64(ciphertext),
    }
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def write_case(out_dir, name, private_key, label, password, n):
    pkcs8 = private_key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    spki = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(os.path.join(out_dir, name + ".key"), "w") as f:
        f.write(pem_block(label, encrypt(pkcs8, password, n)))
    with open(os.path.join(out_dir, name + ".pub"), "wb") as f:
        f.write(spki)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out_dir, password = sys.argv[1], sys.argv[2].encode("utf-8")
    write_case(out_dir, "cosign", ec.generate_private_key(ec.SECP256R1()),
               "ENCRYPTED SIGSTORE PRIVATE KEY", password, 65536)
    write_case(out_dir, "cosign-legacy", ec.generate_private_key(ec.SECP256R1()),
               "ENCRYPTED COSIGN PRIVATE KEY", password, 32768)
    write_case(out_dir, "cosign-ed25519", ed25519.Ed25519PrivateKey.generate(),
               "ENCRYPTED SIGSTORE PRIVATE KEY", password, 65536)


if __name__ == "__main__":
    main()
