/* pgpkey.c — RSA public key → libgcrypt S-expression, keygrip, OpenPGP v4
 * fingerprint.  See pgpkey.h; the byte-level rules are in
 * doc/scd-protocol.md §5.2, §5.3 and §5.5. */
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
#define PGPKEY_ALGO_RSA         1

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

static gpg_error_t
build_sexp(struct pgpkey *key, gcry_sexp_t *sexpp)
{
	uint8_t nstd[PGPKEY_MAX_MODULUS + 1], estd[sizeof(key->e) + 1];
	size_t nlen, elen, canon_len;
	gcry_sexp_t s = NULL;
	gpg_error_t err;

	*sexpp = NULL;
	nlen = std_form(key->n, key->n_len, nstd);
	elen = std_form(key->e, key->e_len, estd);
	err = gcry_sexp_build(&s, NULL, "(public-key(rsa(n%b)(e%b)))",
	                      (int)nlen, nstd, (int)elen, estd);
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
	size_t need, off = 0;

	*len = 0;
	if (key->n_len == 0 || key->n_len > sizeof(key->n) ||
	    key->e_len == 0 || key->e_len > sizeof(key->e))
		return gpg_error(GPG_ERR_INV_VALUE);
	need = PGPKEY_BODY_HDR_LEN + 2 + key->n_len + 2 + key->e_len;
	if (outlen < need)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[off++] = 4;
	put_u32(out + off, key->created);
	off += 4;
	out[off++] = PGPKEY_ALGO_RSA;
	off += put_mpi(out + off, key->n, key->n_len);
	off += put_mpi(out + off, key->e, key->e_len);
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

gpg_error_t
pgpkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                uint32_t created, struct pgpkey *key)
{
	uint8_t grip[PGPKEY_GRIP_LEN];
	gcry_sexp_t s = NULL;
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
	memcpy(key->n, n, n_len);
	key->n_len = n_len;
	memcpy(key->e, e, e_len);
	key->e_len = e_len;
	key->created = created;
	key->bits = count_bits(n, n_len);

	if ((err = build_sexp(key, &s)) != 0)
		goto out;
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

gpg_error_t
pgpkey_from_sexp(const uint8_t *sexp, size_t len, uint32_t created, struct pgpkey *key)
{
	gcry_sexp_t s = NULL, rsa = NULL, n_el = NULL, e_el = NULL;
	const uint8_t *n, *e;
	size_t n_len, e_len;
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
	/* (public-key (rsa (n …)(e …))) and nothing else at the top. */
	if (!token_is(s, "public-key") || gcry_sexp_length(s) != 2) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	if ((rsa = gcry_sexp_nth(s, 1)) == NULL || !token_is(rsa, "rsa")) {
		err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto out;
	}
	if (gcry_sexp_length(rsa) != 3) {
		err = gpg_error(GPG_ERR_INV_SEXP);
		goto out;
	}
	/* Same order as gpg-agent and app-openpgp write it. */
	if ((err = get_param(rsa, 1, "n", &n_el, &n, &n_len)) != 0 ||
	    (err = get_param(rsa, 2, "e", &e_el, &e, &e_len)) != 0)
		goto out;
	/* The sizes are checked there (leading zeros may make them look big). */
	err = pgpkey_from_rsa(n, n_len, e, e_len, created, key);
out:
	gcry_sexp_release(n_el);
	gcry_sexp_release(e_el);
	gcry_sexp_release(rsa);
	gcry_sexp_release(s);
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}
