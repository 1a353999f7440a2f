/* pgpcert.c — a project's OpenPGP certificate (RFC 4880 §11.1) and its ASCII
 * armor.  The signatures are made through a callback (the keys are on the
 * HSM) and verified (pgpsig.c) before the certificate is handed out, because
 * a bad signature would only show up later, on every client. */
#include <string.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "pgparmor.h"
#include "pgpcert.h"
#include "pgpwrite.h"

/* RFC 4880 §4.3 packet tags. */
#define PKT_SIGNATURE      2
#define PKT_PUBLIC_KEY     6
#define PKT_USER_ID        13
#define PKT_PUBLIC_SUBKEY  14

/* RFC 4880 §5.2.3.21, §5.2.3.24. */
#define KEYFLAG_SIGN       0x02
#define FEATURE_MDC        0x01

/* RFC 4880 §6.1. */
/* RFC 4880 §6.3: 76 is the maximum line length; 64 is what gpg writes. */
#define ARMOR_LINE_CHARS 64
#define ARMOR_LINE_BYTES (ARMOR_LINE_CHARS / 4 * 3)
#define ARMOR_HEAD "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
#define ARMOR_TAIL "-----END PGP PUBLIC KEY BLOCK-----\n"

/* The user ID is shown by every client and lands in terminals: valid UTF-8
 * (RFC 4880 §5.11), shortest form, no surrogates, and no C0/DEL/C1 control
 * characters. */
static int
uid_is_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < len) {
		uint8_t c = s[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7F)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			need = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (need > len - i - 1)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
		    (cp >= 0x80 && cp <= 0x9F))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* The primary's self-certification: key flags, then the preferences gpg
 * reads from it.  The order and values are those of the certificates made
 * before subkeys: an upgrade rebuilds those and must reproduce their
 * self-signature byte for byte. */
static gpg_error_t
primary_subs(unsigned int flags, uint8_t *out, size_t outmax, size_t *outlen)
{
	static const uint8_t pref_hash[] = { 10, 9, 8 };     /* SHA512 SHA384 SHA256 */
	static const uint8_t pref_sym[] = { 9, 8, 7 };       /* AES256 AES192 AES128 */
	static const uint8_t pref_compr[] = { 2, 3, 1 };     /* ZLIB BZip2 ZIP */
	uint8_t fl = (uint8_t)flags, features = FEATURE_MDC;
	struct pgpwrite w;
	gpg_error_t err;

	pgpwrite_init(&w, out, outmax);
	pgpwrite_subpacket(&w, PGPSIG_SUB_KEY_FLAGS, &fl, 1);
	pgpwrite_subpacket(&w, PGPSIG_SUB_PREF_HASH, pref_hash, sizeof(pref_hash));
	pgpwrite_subpacket(&w, PGPSIG_SUB_PREF_SYM, pref_sym, sizeof(pref_sym));
	pgpwrite_subpacket(&w, PGPSIG_SUB_PREF_COMPR, pref_compr, sizeof(pref_compr));
	pgpwrite_subpacket(&w, PGPSIG_SUB_FEATURES, &features, 1);
	err = pgpwrite_done(&w);
	*outlen = err ? 0 : w.len;
	return err;
}

/* Key flags sign, the expiration as seconds after the subkey's creation
 * (RFC 4880 §5.2.3.6), and the back-signature BACK. */
static gpg_error_t
subkey_subs(const struct pgpcert_subkey *sk, const uint8_t *back, size_t back_len,
            uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t fl = KEYFLAG_SIGN, exp[4];
	uint32_t secs;
	struct pgpwrite w;
	gpg_error_t err;

	pgpwrite_init(&w, out, outmax);
	pgpwrite_subpacket(&w, PGPSIG_SUB_KEY_FLAGS, &fl, 1);
	if (sk->expires != 0) {
		secs = sk->expires - sk->key->created;
		exp[0] = (uint8_t)(secs >> 24);
		exp[1] = (uint8_t)(secs >> 16);
		exp[2] = (uint8_t)(secs >> 8);
		exp[3] = (uint8_t)secs;
		pgpwrite_subpacket(&w, PGPSIG_SUB_KEY_EXPIRES, exp, sizeof(exp));
	}
	/* Hashed, as Sequoia and RFC 9580 put it: the binding then covers the
	 * exact back-signature it was made with. */
	pgpwrite_subpacket(&w, PGPSIG_SUB_EMBEDDED_SIG, back, back_len);
	err = pgpwrite_done(&w);
	*outlen = err ? 0 : w.len;
	return err;
}

/* The arguments that do not depend on the signatures. */
static gpg_error_t
check_args(const struct pgpkey *primary, unsigned int primary_flags, const char *uid,
           const struct pgpcert_subkey *subs, size_t nsubs, size_t *uid_len)
{
	size_t i, j;

	*uid_len = strnlen(uid, PGPCERT_MAX_UID + 1);
	if (*uid_len == 0 || *uid_len > PGPCERT_MAX_UID || !uid_is_valid((const uint8_t *)uid, *uid_len))
		return gpg_error(GPG_ERR_INV_USER_ID);
	if (primary_flags != PGPCERT_PRIMARY_CERTIFY && primary_flags != PGPCERT_PRIMARY_LEGACY)
		return gpg_error(GPG_ERR_INV_FLAG);
	if (nsubs > PGPCERT_MAX_SUBKEYS || (subs == NULL && nsubs != 0))
		return gpg_error(GPG_ERR_INV_VALUE);
	for (i = 0; i < nsubs; i++) {
		const struct pgpkey *k = subs[i].key;

		if (k == NULL)
			return gpg_error(GPG_ERR_INV_VALUE);
		if (strcmp(k->fpr, primary->fpr) == 0)
			return gpg_error(GPG_ERR_DUP_KEY);
		for (j = 0; j < i; j++) {
			if (strcmp(k->fpr, subs[j].key->fpr) == 0)
				return gpg_error(GPG_ERR_DUP_KEY);
		}
		/* gpg ignores a binding older than either key it binds. */
		if (subs[i].sigtime < k->created || subs[i].sigtime < primary->created ||
		    (subs[i].expires != 0 && subs[i].expires <= k->created))
			return gpg_error(GPG_ERR_INV_TIME);
	}
	return 0;
}

/* Public-subkey packet and its binding signature for SK. */
static gpg_error_t
put_subkey(struct pgpwrite *w, const struct pgpkey *primary, const uint8_t *primary_hf,
           size_t primary_hf_len, const struct pgpcert_subkey *sk, pgpcert_sign_fn sign,
           void *opaque)
{
	uint8_t hf[PGPKEY_MAX_HASH_FORM], back[PGPSIG_MAX], subs[PGPSIG_MAX_SUBS], sig[PGPSIG_MAX];
	size_t hf_len = 0, back_len = 0, subs_len = 0, sig_len = 0;
	struct pgpsig_chunk covered[2];
	struct pgpsig_spec spec;
	gpg_error_t err;

	if ((err = pgpkey_hash_form(sk->key, hf, sizeof(hf), &hf_len)) != 0)
		return err;
	/* RFC 4880 §5.2.4: both binding types hash the primary, then the
	 * subkey. */
	covered[0].data = primary_hf;
	covered[0].len = primary_hf_len;
	covered[1].data = hf;
	covered[1].len = hf_len;
	memset(&spec, 0, sizeof(spec));
	spec.type = PGPSIG_PRIMARY_BINDING;
	spec.created = sk->sigtime;
	spec.signer = sk->key;
	spec.covered = covered;
	spec.ncovered = 2;
	if ((err = pgpsig_make(&spec, sign, opaque, back, sizeof(back), &back_len)) != 0 ||
	    (err = subkey_subs(sk, back, back_len, subs, sizeof(subs), &subs_len)) != 0)
		return err;
	spec.type = PGPSIG_SUBKEY_BINDING;
	spec.signer = primary;
	spec.subs = subs;
	spec.subs_len = subs_len;
	if ((err = pgpsig_make(&spec, sign, opaque, sig, sizeof(sig), &sig_len)) != 0)
		return err;
	/* hash form = 0x99, 2-byte length, body */
	pgpwrite_packet(w, PKT_PUBLIC_SUBKEY, hf + 3, hf_len - 3);
	pgpwrite_packet(w, PKT_SIGNATURE, sig, sig_len);
	return 0;
}

gpg_error_t
pgpcert_build(const struct pgpkey *primary, unsigned int primary_flags, const char *uid,
              const struct pgpcert_subkey *subs, size_t nsubs,
              pgpcert_sign_fn sign, void *opaque,
              uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t hf[PGPKEY_MAX_HASH_FORM], uidhdr[5], psubs[64], sig[PGPSIG_MAX];
	size_t hf_len = 0, uid_len = 0, psubs_len = 0, sig_len = 0, i;
	struct pgpsig_chunk covered[3];
	struct pgpsig_spec spec;
	struct pgpwrite w;
	gpg_error_t err;

	if (outlen == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	*outlen = 0;
	if (primary == NULL || uid == NULL || sign == NULL || out == NULL) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if ((err = check_args(primary, primary_flags, uid, subs, nsubs, &uid_len)) != 0 ||
	    (err = pgpkey_hash_form(primary, hf, sizeof(hf), &hf_len)) != 0 ||
	    (err = primary_subs(primary_flags, psubs, sizeof(psubs), &psubs_len)) != 0)
		goto out;

	/* RFC 4880 §5.2.4: key, then the user ID as 0xB4 and a 4-byte length. */
	uidhdr[0] = 0xB4;
	uidhdr[1] = (uint8_t)(uid_len >> 24);
	uidhdr[2] = (uint8_t)(uid_len >> 16);
	uidhdr[3] = (uint8_t)(uid_len >> 8);
	uidhdr[4] = (uint8_t)uid_len;
	covered[0].data = hf;
	covered[0].len = hf_len;
	covered[1].data = uidhdr;
	covered[1].len = sizeof(uidhdr);
	covered[2].data = uid;
	covered[2].len = uid_len;
	memset(&spec, 0, sizeof(spec));
	spec.type = PGPSIG_POSITIVE_CERT;
	spec.created = primary->created;
	spec.signer = primary;
	spec.subs = psubs;
	spec.subs_len = psubs_len;
	spec.covered = covered;
	spec.ncovered = 3;
	if ((err = pgpsig_make(&spec, sign, opaque, sig, sizeof(sig), &sig_len)) != 0)
		goto out;

	pgpwrite_init(&w, out, outmax);
	pgpwrite_packet(&w, PKT_PUBLIC_KEY, hf + 3, hf_len - 3);
	pgpwrite_packet(&w, PKT_USER_ID, (const uint8_t *)uid, uid_len);
	pgpwrite_packet(&w, PKT_SIGNATURE, sig, sig_len);
	for (i = 0; i < nsubs; i++) {
		if ((err = put_subkey(&w, primary, hf, hf_len, &subs[i], sign, opaque)) != 0)
			goto out;
	}
	if ((err = pgpwrite_done(&w)) != 0)
		goto out;
	*outlen = w.len;
	err = 0; /* success */
out:
	return err;
}

gpg_error_t
pgpcert_armor(const uint8_t *data, size_t len, char **armored)
{
	size_t lines, cap, off = 0, chunk;
	uint8_t crc[3];
	uint32_t c;
	char *s = NULL;
	gpg_error_t err;

	*armored = NULL;
	if (data == NULL || len == 0) {
		err = gpg_error(GPG_ERR_NO_DATA);
		goto out;
	}
	if (len > PGPCERT_MAX) {
		err = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	lines = (len + ARMOR_LINE_BYTES - 1) / ARMOR_LINE_BYTES;
	/* Each line: 64 characters, a newline; EVP_EncodeBlock also writes a
	 * NUL after the last one, which the next line or "=" overwrites. */
	cap = sizeof(ARMOR_HEAD) + lines * (ARMOR_LINE_CHARS + 1) + 1 + 4 + 1 +
	      sizeof(ARMOR_TAIL) + 1;
	if ((s = malloc(cap)) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	memcpy(s, ARMOR_HEAD, sizeof(ARMOR_HEAD) - 1);
	off = sizeof(ARMOR_HEAD) - 1;
	for (size_t i = 0; i < len; i += chunk) {
		chunk = len - i < ARMOR_LINE_BYTES ? len - i : ARMOR_LINE_BYTES;
		off += (size_t)EVP_EncodeBlock((unsigned char *)s + off, data + i, (int)chunk);
		s[off++] = '\n';
	}
	c = pgparmor_crc24(data, len);
	crc[0] = (uint8_t)(c >> 16);
	crc[1] = (uint8_t)(c >> 8);
	crc[2] = (uint8_t)c;
	s[off++] = '=';
	off += (size_t)EVP_EncodeBlock((unsigned char *)s + off, crc, sizeof(crc));
	s[off++] = '\n';
	memcpy(s + off, ARMOR_TAIL, sizeof(ARMOR_TAIL));   /* with its NUL */
	*armored = s;
	s = NULL;
	err = 0; /* success */
out:
	free(s);
	return err;
}
