/* pgpkey.c — RSA or EC public key → libgcrypt S-expression, keygrip,
 * OpenPGP v4 packet and fingerprint.  See pgpkey.h; the byte-level rules
 * are in doc/scd-protocol.md §5.2, §5.3 and §5.5. */
#include <stdio.h>
#include <string.h>
#include <gcrypt.h>

#include "hex.h"
#include "pgpkey.h"

/* Refuse toy moduli: nothing Signet makes is below RSA-1024, and a tiny n in
 * a READKEY answer means the peer is confused. */
#define PGPKEY_MIN_MODULUS_BITS 1024
#define PGPKEY_GRIP_LEN         20
#define PGPKEY_FPR_LEN          20
/* RFC 4880 §5.5.2: version, 4-byte time, algorithm. */
#define PGPKEY_BODY_HDR_LEN     6
/* The prefix GnuPG puts before an Ed25519 public key ("native" point). */
#define EDDSA_POINT_PREFIX      0x40
#define EDDSA_KEY_LEN           32
#define SEC1_UNCOMPRESSED       0x04

/* RFC 6637 §11 and GnuPG's Ed25519 OID, DER bodies without tag and
 * length (what the key packet carries after its length octet). */
static const uint8_t oid_p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };

static const struct curve {
	enum pgpkey_type type;
	unsigned int algo;
	const char *gcry_name;     /* libgcrypt's and the OpenPGP card's name */
	const char *gpg_name;      /* what gpg prints */
	const uint8_t *oid;
	size_t oid_len;
	size_t q_len;              /* the point as stored: 0x04||X||Y or 0x40||A */
	unsigned int bits;
	size_t field_len;          /* of r and of s in a signature */
} curves[] = {
	{ PGPKEY_P256, PGPKEY_ALGO_ECDSA, "NIST P-256", "nistp256", oid_p256, sizeof(oid_p256), 65, 256, 32 },
	{ PGPKEY_P384, PGPKEY_ALGO_ECDSA, "NIST P-384", "nistp384", oid_p384, sizeof(oid_p384), 97, 384, 48 },
	{ PGPKEY_ED25519, PGPKEY_ALGO_EDDSA, "Ed25519", "ed25519", oid_ed25519, sizeof(oid_ed25519), 33, 255,
	  32 },
};

static const struct curve *
curve_of(enum pgpkey_type type)
{
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].type == type)
			return &curves[i];
	return NULL;
}

static size_t
skip_zeros(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] == 0)
		i++;
	return i;
}

static unsigned int
count_bits(const uint8_t *p, size_t len)
{
	unsigned int top = p[0], bits = 0;

	while (top != 0) {
		bits++;
		top >>= 1;
	}
	return (unsigned int)((len - 1) * 8) + bits;
}

/* scd-protocol §5.2: the number goes into the S-expression in gcrypt's STD
 * form, i.e. with one 0x00 in front when the top bit is set.  The keygrip is
 * SHA-1 over exactly these bytes, so getting this wrong makes gpg-agent look
 * for a key that no card has. */
static size_t
std_form(const uint8_t *p, size_t len, uint8_t *out)
{
	size_t off = 0;

	if (p[0] & 0x80)
		out[off++] = 0x00;
	memcpy(out + off, p, len);
	return off + len;
}

/* scd-protocol §5.2: the S-expressions app-openpgp's READKEY sends.
 * Ed25519 needs (flags eddsa): without it the keygrip differs from gpg's. */
static gpg_error_t
build_sexp(struct pgpkey *key, gcry_sexp_t *sexpp)
{
	uint8_t nstd[PGPKEY_MAX_MODULUS + 1], estd[sizeof(key->e) + 1];
	const struct curve *cv = curve_of(key->type);
	size_t nlen, elen, canon_len;
	gcry_sexp_t s = NULL;
	gpg_error_t err;

	*sexpp = NULL;
	if (key->type == PGPKEY_RSA) {
		nlen = std_form(key->n, key->n_len, nstd);
		elen = std_form(key->e, key->e_len, estd);
		err = gcry_sexp_build(&s, NULL, "(public-key(rsa(n%b)(e%b)))",
		                      (int)nlen, nstd, (int)elen, estd);
	} else if (key->type == PGPKEY_ED25519) {
		err = gcry_sexp_build(&s, NULL, "(public-key(ecc(curve %s)(flags eddsa)(q%b)))",
		                      cv->gcry_name, (int)key->q_len, key->q);
	} else if (cv != NULL) {
		err = gcry_sexp_build(&s, NULL, "(public-key(ecc(curve %s)(q%b)))",
		                      cv->gcry_name, (int)key->q_len, key->q);
	} else {
		err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	if (err)
		goto out;
	canon_len = gcry_sexp_sprint(s, GCRYSEXP_FMT_CANON, key->sexp, sizeof(key->sexp));
	if (canon_len == 0) {
		err = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	key->sexp_len = canon_len;
	*sexpp = s;
	s = NULL;
	err = 0; /* success */
out:
	gcry_sexp_release(s);
	return err;
}

static void
put_u16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 4880 §3.2: 2-byte bit count, then the bytes without leading zeros
 * (both n and e are stored stripped already). */
static size_t
put_mpi(uint8_t *out, const uint8_t *p, size_t len)
{
	put_u16(out, count_bits(p, len));
	memcpy(out + 2, p, len);
	return 2 + len;
}

gpg_error_t
pgpkey_packet_body(const struct pgpkey *key, uint8_t *out, size_t outlen, size_t *len)
{
	const struct curve *cv = curve_of(key->type);
	size_t need, off = 0;

	*len = 0;
	if (key->type == PGPKEY_RSA) {
		if (key->n_len == 0 || key->n_len > sizeof(key->n) ||
		    key->e_len == 0 || key->e_len > sizeof(key->e))
			return gpg_error(GPG_ERR_INV_VALUE);
		need = PGPKEY_BODY_HDR_LEN + 2 + key->n_len + 2 + key->e_len;
	} else {
		if (cv == NULL || key->q_len != cv->q_len)
			return gpg_error(GPG_ERR_INV_VALUE);
		need = PGPKEY_BODY_HDR_LEN + 1 + cv->oid_len + 2 + key->q_len;
	}
	if (outlen < need)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[off++] = 4;
	put_u32(out + off, key->created);
	off += 4;
	out[off++] = (uint8_t)key->algo;
	if (key->type == PGPKEY_RSA) {
		off += put_mpi(out + off, key->n, key->n_len);
		off += put_mpi(out + off, key->e, key->e_len);
	} else {
		/* RFC 6637 §9: OID length, OID, then the point as an MPI (its
		 * first octet, 0x04 or 0x40, is never zero). */
		out[off++] = (uint8_t)cv->oid_len;
		memcpy(out + off, cv->oid, cv->oid_len);
		off += cv->oid_len;
		off += put_mpi(out + off, key->q, key->q_len);
	}
	*len = off;
	return 0;
}

gpg_error_t
pgpkey_hash_form(const struct pgpkey *key, uint8_t *out, size_t outlen, size_t *len)
{
	size_t body_len;
	gpg_error_t err;

	*len = 0;
	if (outlen < 3)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	if ((err = pgpkey_packet_body(key, out + 3, outlen - 3, &body_len)) != 0)
		return err;
	out[0] = 0x99;
	put_u16(out + 1, (unsigned int)body_len);
	*len = 3 + body_len;
	return 0;
}

/* RFC 4880 §12.2: SHA-1 over the hash form. */
static gpg_error_t
compute_fpr(struct pgpkey *key)
{
	uint8_t buf[PGPKEY_MAX_HASH_FORM];
	uint8_t fpr[PGPKEY_FPR_LEN];
	size_t len;
	gpg_error_t err;

	if ((err = pgpkey_hash_form(key, buf, sizeof(buf), &len)) != 0)
		return err;
	gcry_md_hash_buffer(GCRY_MD_SHA1, fpr, buf, len);
	memcpy(key->keyid, fpr + PGPKEY_FPR_LEN - sizeof(key->keyid), sizeof(key->keyid));
	return hex_encode(fpr, sizeof(fpr), key->fpr, sizeof(key->fpr));
}

/* The S-expression, keygrip and fingerprint of the key material in KEY,
 * after CHECK (if any) accepted the public key. */
static gpg_error_t
finish(struct pgpkey *key, int (*check)(gcry_sexp_t, int))
{
	uint8_t grip[PGPKEY_GRIP_LEN];
	gcry_sexp_t s = NULL;
	gpg_error_t err;

	if ((err = build_sexp(key, &s)) != 0)
		goto out;
	if (check != NULL && !check(s, key->type == PGPKEY_ED25519)) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (gcry_pk_get_keygrip(s, grip) == NULL) {
		err = gpg_error(GPG_ERR_INTERNAL);
		goto out;
	}
	if ((err = hex_encode(grip, sizeof(grip), key->grip, sizeof(key->grip))) != 0 ||
	    (err = compute_fpr(key)) != 0)
		goto out;
	err = 0; /* success */
out:
	gcry_sexp_release(s);
	return err;
}

gpg_error_t
pgpkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                uint32_t created, struct pgpkey *key)
{
	gpg_error_t err;
	size_t z;

	memset(key, 0, sizeof(*key));
	if (n == NULL || e == NULL) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	z = skip_zeros(n, n_len);
	n += z;
	n_len -= z;
	z = skip_zeros(e, e_len);
	e += z;
	e_len -= z;
	/* An even modulus or exponent cannot be RSA; e = 1 is no encryption. */
	if (n_len == 0 || n_len > sizeof(key->n) || (n[n_len - 1] & 1) == 0 ||
	    e_len == 0 || e_len > sizeof(key->e) || (e[e_len - 1] & 1) == 0 ||
	    (e_len == 1 && e[0] == 1)) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (count_bits(n, n_len) < PGPKEY_MIN_MODULUS_BITS) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	key->type = PGPKEY_RSA;
	key->algo = PGPKEY_ALGO_RSA;
	memcpy(key->n, n, n_len);
	key->n_len = n_len;
	memcpy(key->e, e, e_len);
	key->e_len = e_len;
	key->created = created;
	key->bits = count_bits(n, n_len);
	err = finish(key, NULL);
out:
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}

/* 1 if the point of PUB lies on its curve.  An Ed25519 point is checked
 * by decoding it (gcry_mpi_ec_new refuses one without an x): libgcrypt
 * 1.10's gcry_mpi_ec_curve_point() aborts the process on some decoded
 * Ed25519 points ("mulm_25519: different sizes"; found by
 * fuzz/pgpkey_sexp), so it is asked only about the NIST curves. */
static int
point_on_curve(gcry_sexp_t pub, int eddsa)
{
	gcry_ctx_t ctx = NULL;
	gcry_mpi_point_t q = NULL;
	int ok = 0;

	if (gcry_mpi_ec_new(&ctx, pub, NULL) == 0 && (q = gcry_mpi_ec_get_point("q", ctx, 1)) != NULL)
		ok = eddsa || gcry_mpi_ec_curve_point(q, ctx);
	gcry_mpi_point_release(q);
	gcry_ctx_release(ctx);
	return ok;
}

gpg_error_t
pgpkey_from_ec(enum pgpkey_type type, const uint8_t *q, size_t q_len, uint32_t created, struct pgpkey *key)
{
	const struct curve *cv = curve_of(type);
	gpg_error_t err;

	memset(key, 0, sizeof(*key));
	if (cv == NULL) {
		err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto out;
	}
	if (q == NULL) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	key->type = type;
	key->algo = cv->algo;
	key->created = created;
	key->bits = cv->bits;
	if (type == PGPKEY_ED25519 && q_len == EDDSA_KEY_LEN) {
		key->q[0] = EDDSA_POINT_PREFIX;
		memcpy(key->q + 1, q, EDDSA_KEY_LEN);
	} else if (q_len == cv->q_len &&
	           q[0] == (type == PGPKEY_ED25519 ? EDDSA_POINT_PREFIX : SEC1_UNCOMPRESSED)) {
		memcpy(key->q, q, q_len);
	} else {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	key->q_len = cv->q_len;
	err = finish(key, point_on_curve);
out:
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}

static int
token_is(gcry_sexp_t list, const char *want)
{
	const char *tok;
	size_t len;

	tok = gcry_sexp_nth_data(list, 0, &len);
	return tok != NULL && len == strlen(want) && memcmp(tok, want, len) == 0;
}

/* Element IDX of the rsa list must be exactly (NAME value); its value as the
 * raw bytes stored.  Position, not gcry_sexp_find_token(), so that a nested
 * (n …) somewhere deeper is not taken for the modulus. */
static gpg_error_t
get_param(gcry_sexp_t rsa, int idx, const char *name, gcry_sexp_t *elemp,
          const uint8_t **p, size_t *len)
{
	const char *data;

	*p = NULL;
	*len = 0;
	if ((*elemp = gcry_sexp_nth(rsa, idx)) == NULL || !token_is(*elemp, name) ||
	    gcry_sexp_length(*elemp) != 2)
		return gpg_error(GPG_ERR_INV_SEXP);
	if ((data = gcry_sexp_nth_data(*elemp, 1, len)) == NULL || *len == 0)
		return gpg_error(GPG_ERR_INV_SEXP);
	*p = (const uint8_t *)data;
	return 0;
}

/* (public-key(rsa(n …)(e …))): same order as gpg-agent and app-openpgp
 * write it. */
static gpg_error_t
from_rsa_sexp(gcry_sexp_t rsa, uint32_t created, struct pgpkey *key)
{
	gcry_sexp_t n_el = NULL, e_el = NULL;
	const uint8_t *n, *e;
	size_t n_len, e_len;
	gpg_error_t err;

	if (gcry_sexp_length(rsa) != 3)
		return gpg_error(GPG_ERR_INV_SEXP);
	if ((err = get_param(rsa, 1, "n", &n_el, &n, &n_len)) == 0 &&
	    (err = get_param(rsa, 2, "e", &e_el, &e, &e_len)) == 0)
		/* The sizes are checked there (leading zeros may make them
		 * look big). */
		err = pgpkey_from_rsa(n, n_len, e, e_len, created, key);
	gcry_sexp_release(n_el);
	gcry_sexp_release(e_el);
	return err;
}

/* (public-key(ecc(curve C)(q …))) for the NIST curves, and with (flags
 * eddsa) before q for Ed25519 — exactly the forms of pgpkey.h. */
static gpg_error_t
from_ecc_sexp(gcry_sexp_t ecc, uint32_t created, struct pgpkey *key)
{
	gcry_sexp_t c_el = NULL, f_el = NULL, q_el = NULL;
	const uint8_t *name, *flag, *q;
	size_t name_len, flag_len, q_len, i;
	enum pgpkey_type type = PGPKEY_NONE;
	gpg_error_t err;

	if (gcry_sexp_length(ecc) != 3 && gcry_sexp_length(ecc) != 4)
		return gpg_error(GPG_ERR_INV_SEXP);
	if ((err = get_param(ecc, 1, "curve", &c_el, &name, &name_len)) != 0)
		goto out;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (name_len == strlen(curves[i].gcry_name) && memcmp(name, curves[i].gcry_name, name_len) == 0)
			type = curves[i].type;
	if (type == PGPKEY_NONE) {
		err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto out;
	}
	/* Ed25519 without (flags eddsa) has another keygrip; a NIST curve
	 * takes no flags. */
	if (gcry_sexp_length(ecc) != (type == PGPKEY_ED25519 ? 4 : 3)) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	if (type == PGPKEY_ED25519 &&
	    ((err = get_param(ecc, 2, "flags", &f_el, &flag, &flag_len)) != 0 ||
	     flag_len != 5 || memcmp(flag, "eddsa", 5) != 0)) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	if ((err = get_param(ecc, type == PGPKEY_ED25519 ? 3 : 2, "q", &q_el, &q, &q_len)) != 0)
		goto out;
	/* Only the stored form (0x04 / 0x40 prefix), so that the rebuilt
	 * S-expression is the one received. */
	if (q_len != curve_of(type)->q_len) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	err = pgpkey_from_ec(type, q, q_len, created, key);
out:
	gcry_sexp_release(c_el);
	gcry_sexp_release(f_el);
	gcry_sexp_release(q_el);
	return err;
}

gpg_error_t
pgpkey_from_sexp(const uint8_t *sexp, size_t len, uint32_t created, struct pgpkey *key)
{
	gcry_sexp_t s = NULL, alg = NULL;
	gpg_error_t err;

	memset(key, 0, sizeof(*key));
	if (sexp == NULL || len == 0) {
		err = gpg_error(GPG_ERR_NO_DATA);
		goto out;
	}
	if (len > PGPKEY_MAX_SEXP) {
		err = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	/* Only the canonical form: it is what READKEY and policyd send, and it
	 * keeps the advanced-syntax parser away from peer bytes. */
	if (sexp[0] != '(' || (len > 1 && (sexp[1] < '1' || sexp[1] > '9'))) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	if ((err = gcry_sexp_new(&s, sexp, len, 0)) != 0)
		goto out;
	/* (public-key (rsa|ecc …)) and nothing else at the top. */
	if (!token_is(s, "public-key") || gcry_sexp_length(s) != 2 || (alg = gcry_sexp_nth(s, 1)) == NULL) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	if (token_is(alg, "rsa"))
		err = from_rsa_sexp(alg, created, key);
	else if (token_is(alg, "ecc"))
		err = from_ecc_sexp(alg, created, key);
	else
		err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
out:
	gcry_sexp_release(alg);
	gcry_sexp_release(s);
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}

gpg_error_t
pgpkey_name(const struct pgpkey *key, char *out, size_t outlen)
{
	const struct curve *cv = curve_of(key->type);
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (key->type == PGPKEY_RSA && key->bits > 0)
		n = snprintf(out, outlen, "rsa%u", key->bits);
	else if (cv != NULL)
		n = snprintf(out, outlen, "%s", cv->gpg_name);
	else
		return gpg_error(GPG_ERR_INV_VALUE);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	return 0;
}

enum pgpkey_type
pgpkey_type_by_name(const char *name, unsigned int *bits)
{
	size_t len, i;
	unsigned long v = 0;

	*bits = 0;
	if (name == NULL)
		return PGPKEY_NONE;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (strcmp(name, curves[i].gpg_name) == 0) {
			*bits = curves[i].bits;
			return curves[i].type;
		}
	}
	/* "rsa" and 4 digits without a leading zero */
	len = strlen(name);
	if (len < 7 || len > 7 || strncmp(name, "rsa", 3) != 0 || name[3] == '0')
		return PGPKEY_NONE;
	for (i = 3; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return PGPKEY_NONE;
		v = v * 10 + (unsigned long)(name[i] - '0');
	}
	if (v < PGPKEY_MIN_MODULUS_BITS || v > 8 * PGPKEY_MAX_MODULUS)
		return PGPKEY_NONE;
	*bits = (unsigned int)v;
	return PGPKEY_RSA;
}

enum pgpkey_type
pgpkey_type_by_oid(unsigned int algo, const uint8_t *oid, size_t oid_len)
{
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].algo == algo && curves[i].oid_len == oid_len &&
		    memcmp(curves[i].oid, oid, oid_len) == 0)
			return curves[i].type;
	return PGPKEY_NONE;
}

const char *
pgpkey_curve_name(enum pgpkey_type type)
{
	const struct curve *cv = curve_of(type);

	return cv != NULL ? cv->gcry_name : NULL;
}

unsigned int
pgpkey_type_algo(enum pgpkey_type type)
{
	const struct curve *cv = curve_of(type);

	if (type == PGPKEY_RSA)
		return PGPKEY_ALGO_RSA;
	return cv != NULL ? cv->algo : 0;
}

size_t
pgpkey_sig_len(const struct pgpkey *key)
{
	const struct curve *cv = curve_of(key->type);

	if (key->type == PGPKEY_RSA)
		return key->n_len;
	return cv != NULL ? 2 * cv->field_len : 0;
}
