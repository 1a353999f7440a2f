/* pgpsig.c — one v4 signature packet made through a callback and verified
 * here, because a wrong signature from the HSM (wrong key, wrong padding)
 * would only show up later, on every client. */
#include <string.h>
#include <gcrypt.h>

#include "hex.h"
#include "ecverify.h"
#include "pgpsig.h"
#include "pgpwrite.h"

/* RFC 4880 §5.2.3, §9.1, §9.4. */
#define SIG_VERSION      4
#define FPR_LEN          20
/* The hashed part: 6 octets of header, creation time, caller subpackets,
 * issuer fingerprint. */
#define HASHED_MAX       (6 + 6 + PGPSIG_MAX_SUBS + 2 + 1 + FPR_LEN)
#define MAX_COVERED      8

/* The hash of a key signature by SIGNER: SHA-256, except for P-384, where
 * gpg refuses an ECDSA signature whose hash is shorter than the curve
 * ("requires a 384 bit or larger hash"). */
static const struct hashalgo *
sig_hash(const struct pgpkey *signer)
{
	return hashalgo_by_gcry(signer->type == PGPKEY_P384 ? GCRY_MD_SHA384 : GCRY_MD_SHA256);
}

static gpg_error_t
build_hashed(const struct pgpsig_spec *spec, const struct hashalgo *algo, uint8_t *out, size_t outmax,
             size_t *outlen)
{
	uint8_t created[4], issuer_fpr[1 + FPR_LEN];
	size_t fpr_len = 0, subs_len;
	struct pgpwrite w;
	gpg_error_t err;

	*outlen = 0;
	if ((err = hex_decode(spec->signer->fpr, strlen(spec->signer->fpr), issuer_fpr + 1,
	                      FPR_LEN, &fpr_len)) != 0)
		return err;
	if (fpr_len != FPR_LEN)
		return gpg_error(GPG_ERR_INV_VALUE);
	issuer_fpr[0] = 4; /* key version */
	created[0] = (uint8_t)(spec->created >> 24);
	created[1] = (uint8_t)(spec->created >> 16);
	created[2] = (uint8_t)(spec->created >> 8);
	created[3] = (uint8_t)spec->created;
	subs_len = 6 + spec->subs_len + 2 + sizeof(issuer_fpr);

	pgpwrite_init(&w, out, outmax);
	pgpwrite_u8(&w, SIG_VERSION);
	pgpwrite_u8(&w, spec->type);
	pgpwrite_u8(&w, spec->signer->algo);
	pgpwrite_u8(&w, (unsigned int)algo->pgp_algo);
	pgpwrite_u16(&w, (unsigned int)subs_len);
	pgpwrite_subpacket(&w, PGPSIG_SUB_CREATION_TIME, created, sizeof(created));
	pgpwrite_bytes(&w, spec->subs, spec->subs_len);
	pgpwrite_subpacket(&w, PGPSIG_SUB_ISSUER_FPR, issuer_fpr, sizeof(issuer_fpr));
	if ((err = pgpwrite_done(&w)) != 0)
		return err;
	*outlen = w.len;
	return 0;
}

/* RFC 4880 §5.2.4: what is covered, the hashed part, then the trailer 0x04
 * 0xFF and the 4-byte length of the hashed part. */
static void
hash_sig(const struct pgpsig_spec *spec, const struct hashalgo *algo, const uint8_t *hashed,
         size_t hashed_len, uint8_t *digest)
{
	uint8_t trailer[6];
	gcry_buffer_t iov[MAX_COVERED + 2];
	size_t n = 0;

	trailer[0] = SIG_VERSION;
	trailer[1] = 0xFF;
	trailer[2] = (uint8_t)(hashed_len >> 24);
	trailer[3] = (uint8_t)(hashed_len >> 16);
	trailer[4] = (uint8_t)(hashed_len >> 8);
	trailer[5] = (uint8_t)hashed_len;
	memset(iov, 0, sizeof(iov));
	for (size_t i = 0; i < spec->ncovered; i++) {
		iov[n].data = (void *)spec->covered[i].data;
		iov[n].size = iov[n].len = spec->covered[i].len;
		n++;
	}
	iov[n].data = (void *)hashed;
	iov[n].size = iov[n].len = hashed_len;
	n++;
	iov[n].data = trailer;
	iov[n].size = iov[n].len = sizeof(trailer);
	n++;
	gcry_md_hash_buffers(algo->gcry_algo, 0, digest, iov, (int)n);
}

gpg_error_t
pgpsig_verify_digest(const struct pgpkey *key, const struct hashalgo *algo, const uint8_t *digest,
                     size_t digest_len, const uint8_t *sig, size_t sig_len)
{
	gcry_sexp_t s_key = NULL, s_data = NULL, s_sig = NULL;
	size_t half = pgpkey_sig_len(key) / 2;
	gpg_error_t err;

	if (algo == NULL || digest_len != algo->digest_len)
		return gpg_error(GPG_ERR_INV_LENGTH);
	/* RSA: up to the modulus length (a short one is left-padded by
	 * libgcrypt); EC: exactly r || s. */
	if (sig_len == 0 || (key->type == PGPKEY_RSA ? sig_len > key->n_len : sig_len != 2 * half))
		return gpg_error(GPG_ERR_BAD_SIGNATURE);
	/* EC keys: OpenSSL, ten times faster here (ecverify.h). */
	if (key->type != PGPKEY_RSA)
		return ecverify_digest(key, digest, digest_len, sig, sig_len);
	/* RSA: PKCS#1 v1.5 over the digest, through libgcrypt. */
	if ((err = gcry_sexp_new(&s_key, key->sexp, key->sexp_len, 0)) != 0 ||
	    (err = gcry_sexp_build(&s_data, NULL, "(data(flags pkcs1)(hash %s %b))", algo->name,
	                           (int)digest_len, digest)) != 0 ||
	    (err = gcry_sexp_build(&s_sig, NULL, "(sig-val(rsa(s %b)))", (int)sig_len, sig)) != 0)
		goto out;
	if (gcry_pk_verify(s_sig, s_data, s_key) != 0) {
		err = gpg_error(GPG_ERR_BAD_SIGNATURE);
		goto out;
	}
	err = 0; /* success */
out:
	gcry_sexp_release(s_key);
	gcry_sexp_release(s_data);
	gcry_sexp_release(s_sig);
	return err;
}

gpg_error_t
pgpsig_make(const struct pgpsig_spec *spec, pgpsig_sign_fn sign, void *opaque,
            uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t hashed[HASHED_MAX], digest[HASHALGO_MAX_DIGEST], sig[PGPKEY_MAX_MODULUS];
	size_t hashed_len = 0, sig_len = 0, half;
	const struct hashalgo *algo;
	struct pgpwrite w;
	gpg_error_t err;

	*outlen = 0;
	if (spec == NULL || spec->signer == NULL || sign == NULL || out == NULL ||
	    (spec->subs == NULL && spec->subs_len != 0) || spec->subs_len > PGPSIG_MAX_SUBS ||
	    (spec->covered == NULL && spec->ncovered != 0) || spec->ncovered > MAX_COVERED ||
	    pgpkey_sig_len(spec->signer) == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((algo = sig_hash(spec->signer)) == NULL || algo->digest_len > sizeof(digest))
		return gpg_error(GPG_ERR_INTERNAL);
	if ((err = build_hashed(spec, algo, hashed, sizeof(hashed), &hashed_len)) != 0)
		return err;
	hash_sig(spec, algo, hashed, hashed_len, digest);

	if ((err = sign(opaque, spec->signer, algo, digest, algo->digest_len, sig, sizeof(sig),
	                &sig_len)) != 0)
		return err;
	if ((err = pgpsig_verify_digest(spec->signer, algo, digest, algo->digest_len, sig, sig_len)) != 0)
		return err;

	/* RFC 4880 §5.2.3: hashed part, unhashed subpackets (issuer key ID),
	 * left 16 bits of the hash, then the signature as MPIs (§5.2.2: RSA
	 * s; RFC 6637 §8 and GnuPG's EdDSA: r, s). */
	pgpwrite_init(&w, out, outmax);
	pgpwrite_bytes(&w, hashed, hashed_len);
	pgpwrite_u16(&w, 2 + sizeof(spec->signer->keyid));
	pgpwrite_subpacket(&w, PGPSIG_SUB_ISSUER, spec->signer->keyid, sizeof(spec->signer->keyid));
	pgpwrite_bytes(&w, digest, 2);
	if (spec->signer->type == PGPKEY_RSA) {
		pgpwrite_mpi(&w, sig, sig_len);
	} else {
		half = sig_len / 2;
		pgpwrite_mpi(&w, sig, half);
		pgpwrite_mpi(&w, sig + half, half);
	}
	if ((err = pgpwrite_done(&w)) != 0)
		return err;
	*outlen = w.len;
	return 0;
}
