//! ECDSA P-256 signing with RFC 6979 nonces, the `p256` crate's signature
//! exactly, with the one costly step done by aws-lc.
//!
//! `p256` signs in about 100 µs on this project's machines, most of it the
//! fixed-base multiplication k×G; aws-lc (already linked for TLS) does that
//! multiplication in a quarter of the time, but its own ECDSA draws nonces
//! from its random generator, so its signatures differ from run to run and
//! so would the artifacts' content-addressed names. Here the nonce is derived
//! as `ecdsa`'s `sign_prehashed_rfc6979` derives it (the `rfc6979` crate's
//! HMAC-DRBG over the key and the digest), R = k×G comes from aws-lc's
//! constant-time P-256 code, and the scalar arithmetic is `p256`'s, in the
//! same order as `ecdsa`'s `hazmat::sign_prehashed`. The result is the same
//! (r, s) as `p256`'s `sign_prehash`: the tests compare them on many keys
//! and digests and on RFC 6979's own vector. Whatever aws-lc refuses or fails
//! to allocate falls back to `p256` itself, which gives the same signature.

use aws_lc_rs::agreement::{ECDH_P256, PrivateKey};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::elliptic_curve::Curve;
use p256::elliptic_curve::PrimeField;
use p256::elliptic_curve::ops::{Invert, Reduce};
use p256::{FieldBytes, NistP256, NonZeroScalar, Scalar};

/// The RFC 6979 signature of a SHA-256 digest: what `p256::ecdsa::SigningKey::sign_prehash`
/// returns for it.
pub(super) fn sign_digest(key: &p256::ecdsa::SigningKey, z: &[u8; 32]) -> Signature {
    sign_with_fast_base_mul(key.as_nonzero_scalar(), z).unwrap_or_else(|| {
        key.sign_prehash(z)
            .expect("a 32-byte digest is a valid P-256 prehash")
    })
}

/// `None` when aws-lc did not give a point (refused the scalar or could not allocate).
fn sign_with_fast_base_mul(d: &NonZeroScalar, z: &[u8; 32]) -> Option<Signature> {
    let order = NistP256::ORDER.get();
    let mut nonces = rfc6979::KGenerator::<sha2::Sha256, _>::new(&d.to_repr(), z, &[], &order);
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*z));
    loop {
        let mut k_bytes = FieldBytes::default();
        nonces.fill_next_k(&mut k_bytes);
        // As `ecdsa` does: a candidate that is zero or not below the order,
        // or that gives r = 0 or s = 0, is passed over for the next one.
        let Some(k) = NonZeroScalar::from_repr(k_bytes).into_option() else {
            continue;
        };
        // k×G as an uncompressed SEC1 point, 0x04 ‖ x ‖ y: the public key
        // of k taken as a private key.
        let point = PrivateKey::from_private_key(&ECDH_P256, &k_bytes)
            .and_then(|k| k.compute_public_key().map_err(Into::into))
            .ok()?;
        let x = point.as_ref().get(1..33)?;
        let r = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::try_from(x).ok()?);
        let s = *Invert::invert(&k) * (z + r * d.as_ref());
        if let Ok(signature) = Signature::from_scalars(r, s) {
            return Some(signature);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate;
    use sha2::{Digest, Sha256};

    fn p256_own(key: &p256::ecdsa::SigningKey, z: &[u8; 32]) -> Signature {
        key.sign_prehash(z).unwrap()
    }

    /// The same (r, s) as `p256` on fresh keys and digests, and on digests at
    /// the edges of the scalar field (zero, all ones: above the order, so reduced).
    #[test]
    fn signatures_are_p256_s_own() {
        let mut edges = vec![[0u8; 32], [0xff; 32]];
        let mut order_bytes = [0u8; 32];
        order_bytes.copy_from_slice(&NistP256::ORDER.get().to_be_bytes());
        edges.push(order_bytes);
        for i in 0..200u32 {
            let key = p256::ecdsa::SigningKey::generate();
            let mut digests: Vec<[u8; 32]> = edges.clone();
            digests.push(Sha256::digest(i.to_be_bytes()).into());
            for z in &digests {
                assert_eq!(
                    sign_digest(&key, z),
                    p256_own(&key, z),
                    "key {i}, digest {z:02x?}"
                );
            }
        }
    }

    /// RFC 6979 appendix A.2.5: P-256, SHA-256, the message "sample".
    #[test]
    fn rfc_6979_vector() {
        let x = hex::decode("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
            .unwrap();
        let key = p256::ecdsa::SigningKey::from_slice(&x).unwrap();
        let z: [u8; 32] = Sha256::digest(b"sample").into();
        let signature = sign_digest(&key, &z);
        let (r, s) = signature.split_bytes();
        assert_eq!(
            hex::encode_upper(r),
            "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
        );
        assert_eq!(
            hex::encode_upper(s),
            "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
        );
        assert_eq!(signature, p256_own(&key, &z));
    }
}
