/* pgpcert.c — a project's OpenPGP certificate (RFC 4880 §11.1) and its ASCII
 * armor.  The self-signature is made through a callback (the key is on the
 * HSM) and verified here before the certificate is handed out, because a bad
 * self-signature would only show up later, on every client. */
#include <string.h>
#include <stdlib.h>
#include <gcrypt.h>
#include <openssl/evp.h>

#include "hex.h"
#include "pgpcert.h"

/* RFC 4880 §4.3 packet tags, new format (§4.2.2). */
#define PKT_SIGNATURE   2
#define PKT_PUBLIC_KEY  6
#define PKT_USER_ID     13

/* RFC 4880 §5.2.1, §9.1, §9.4. */
#define SIG_VERSION     4
#define SIGTYPE_POSITIVE_CERT 0x13
#define PUBKEY_ALGO_RSA 1
#define HASH_ALGO_SHA256 8

/* RFC 4880 §5.2.3.1 subpacket types; 33 is the issuer fingerprint of
 * draft-ietf-openpgp-rfc4880bis (what gpg 2.2 writes and reads). */
#define SUB_CREATION_TIME  2
#define SUB_PREF_SYM       11
#define SUB_ISSUER         16
#define SUB_PREF_HASH      21
#define SUB_PREF_COMPR     22
#define SUB_KEY_FLAGS      27
#define SUB_FEATURES       30
#define SUB_ISSUER_FPR     33

#define KEYFLAG_CERTIFY    0x01
#define KEYFLAG_SIGN       0x02
#define FEATURE_MDC        0x01

/* The hashed subpacket area: our 7 fixed subpackets take 50 bytes. */
#define PGPCERT_MAX_HASHED 128
#define PGPCERT_FPR_LEN    20

/* RFC 4880 §6.1. */
#define CRC24_INIT 0xB704CEL
#define CRC24_POLY 0x1864CFBL
/* RFC 4880 §6.3: 76 is the maximum line length; 64 is what gpg writes. */
#define ARMOR_LINE_CHARS 64
#define ARMOR_LINE_BYTES (ARMOR_LINE_CHARS / 4 * 3)
#define ARMOR_HEAD "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
#define ARMOR_TAIL "-----END PGP PUBLIC KEY BLOCK-----\n"

/* A bounded writer: every put checks the room left; the first overflow
 * sticks and is reported once at the end. */
struct wbuf {
	uint8_t *p;
	size_t max;
	size_t len;
	int overflow;
};

static void
put_bytes(struct wbuf *w, const void *data, size_t len)
{
	if (w->overflow || len > w->max - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, data, len);
	w->len += len;
}

static void
put_u8(struct wbuf *w, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	put_bytes(w, &b, 1);
}

static void
put_u16(struct wbuf *w, unsigned int v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

/* RFC 4880 §4.2.2: new-format header with the shortest length encoding. */
static void
put_packet(struct wbuf *w, unsigned int tag, const uint8_t *body, size_t len)
{
	put_u8(w, 0xC0 | tag);
	if (len < 192) {
		put_u8(w, (unsigned int)len);
	} else if (len < 8384) {
		put_u8(w, (unsigned int)(((len - 192) >> 8) + 192));
		put_u8(w, (unsigned int)((len - 192) & 0xFF));
	} else {
		put_u8(w, 0xFF);
		put_u32(w, (uint32_t)len);
	}
	put_bytes(w, body, len);
}

/* RFC 4880 §5.2.3.1: one-octet length (all ours are < 192) covering the type
 * and the data. */
static void
put_subpacket(struct wbuf *w, unsigned int type, const uint8_t *data, size_t len)
{
	put_u8(w, (unsigned int)(len + 1));
	put_u8(w, type);
	put_bytes(w, data, len);
}

static void
put_mpi(struct wbuf *w, const uint8_t *p, size_t len)
{
	unsigned int top, bits = 0;

	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len > 0) {
		for (top = p[0]; top != 0; top >>= 1)
			bits++;
		bits += (unsigned int)((len - 1) * 8);
	}
	put_u16(w, bits);
	put_bytes(w, p, len);
}

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

/* Hashed part of the signature packet (RFC 4880 §5.2.3): version through the
 * hashed subpackets. */
static gpg_error_t
build_hashed(const struct pgpkey *key, const uint8_t *fpr, uint8_t *out, size_t outmax,
             size_t *outlen)
{
	static const uint8_t pref_hash[] = { 10, 9, 8 };     /* SHA512 SHA384 SHA256 */
	static const uint8_t pref_sym[] = { 9, 8, 7 };       /* AES256 AES192 AES128 */
	static const uint8_t pref_compr[] = { 2, 3, 1 };     /* ZLIB BZip2 ZIP */
	uint8_t subs[PGPCERT_MAX_HASHED];
	uint8_t created[4], flags, features, issuer_fpr[1 + PGPCERT_FPR_LEN];
	struct wbuf sw = { subs, sizeof(subs), 0, 0 };
	struct wbuf w = { out, outmax, 0, 0 };

	*outlen = 0;
	created[0] = (uint8_t)(key->created >> 24);
	created[1] = (uint8_t)(key->created >> 16);
	created[2] = (uint8_t)(key->created >> 8);
	created[3] = (uint8_t)key->created;
	flags = KEYFLAG_CERTIFY | KEYFLAG_SIGN;
	features = FEATURE_MDC;
	issuer_fpr[0] = 4; /* key version */
	memcpy(issuer_fpr + 1, fpr, PGPCERT_FPR_LEN);

	put_subpacket(&sw, SUB_CREATION_TIME, created, sizeof(created));
	put_subpacket(&sw, SUB_KEY_FLAGS, &flags, 1);
	put_subpacket(&sw, SUB_PREF_HASH, pref_hash, sizeof(pref_hash));
	put_subpacket(&sw, SUB_PREF_SYM, pref_sym, sizeof(pref_sym));
	put_subpacket(&sw, SUB_PREF_COMPR, pref_compr, sizeof(pref_compr));
	put_subpacket(&sw, SUB_FEATURES, &features, 1);
	put_subpacket(&sw, SUB_ISSUER_FPR, issuer_fpr, sizeof(issuer_fpr));
	if (sw.overflow)
		return gpg_error(GPG_ERR_INTERNAL);

	put_u8(&w, SIG_VERSION);
	put_u8(&w, SIGTYPE_POSITIVE_CERT);
	put_u8(&w, PUBKEY_ALGO_RSA);
	put_u8(&w, HASH_ALGO_SHA256);
	put_u16(&w, (unsigned int)sw.len);
	put_bytes(&w, subs, sw.len);
	if (w.overflow)
		return gpg_error(GPG_ERR_INTERNAL);
	*outlen = w.len;
	return 0;
}

/* RFC 4880 §5.2.4: key (0x99 form), user ID (0xB4 form), hashed part,
 * trailer 0x04 0xFF + 4-byte length of the hashed part. */
static void
hash_cert(const uint8_t *body, size_t body_len, const uint8_t *uid, size_t uid_len,
          const uint8_t *hashed, size_t hashed_len, uint8_t *digest)
{
	uint8_t keyhdr[3], uidhdr[5], trailer[6];
	gcry_buffer_t iov[6];

	keyhdr[0] = 0x99;
	keyhdr[1] = (uint8_t)(body_len >> 8);
	keyhdr[2] = (uint8_t)body_len;
	uidhdr[0] = 0xB4;
	uidhdr[1] = (uint8_t)(uid_len >> 24);
	uidhdr[2] = (uint8_t)(uid_len >> 16);
	uidhdr[3] = (uint8_t)(uid_len >> 8);
	uidhdr[4] = (uint8_t)uid_len;
	trailer[0] = SIG_VERSION;
	trailer[1] = 0xFF;
	trailer[2] = (uint8_t)(hashed_len >> 24);
	trailer[3] = (uint8_t)(hashed_len >> 16);
	trailer[4] = (uint8_t)(hashed_len >> 8);
	trailer[5] = (uint8_t)hashed_len;

	memset(iov, 0, sizeof(iov));
	iov[0].data = keyhdr;
	iov[0].len = sizeof(keyhdr);
	iov[1].data = (void *)body;
	iov[1].len = body_len;
	iov[2].data = uidhdr;
	iov[2].len = sizeof(uidhdr);
	iov[3].data = (void *)uid;
	iov[3].len = uid_len;
	iov[4].data = (void *)hashed;
	iov[4].len = hashed_len;
	iov[5].data = trailer;
	iov[5].len = sizeof(trailer);
	for (size_t i = 0; i < 6; i++)
		iov[i].size = iov[i].len;
	gcry_md_hash_buffers(GCRY_MD_SHA256, 0, digest, iov, 6);
}

/* A wrong signature from the HSM (wrong key, wrong padding) must not become
 * a published certificate that no client accepts. */
static gpg_error_t
verify_sig(const struct pgpkey *key, const uint8_t *digest, size_t digest_len,
           const uint8_t *sig, size_t sig_len)
{
	gcry_sexp_t s_key = NULL, s_data = NULL, s_sig = NULL;
	gpg_error_t err;

	if ((err = gcry_sexp_new(&s_key, key->sexp, key->sexp_len, 0)) != 0 ||
	    (err = gcry_sexp_build(&s_data, NULL, "(data(flags pkcs1)(hash sha256 %b))",
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
pgpcert_build(const struct pgpkey *key, const char *uid,
              pgpcert_sign_fn sign, void *opaque,
              uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t body[16 + PGPKEY_MAX_MODULUS + 16];
	uint8_t hashed[PGPCERT_MAX_HASHED + 8];
	uint8_t sigpkt[sizeof(hashed) + 16 + 2 + 2 + PGPKEY_MAX_MODULUS];
	uint8_t fpr[PGPCERT_FPR_LEN], digest[32], sig[PGPKEY_MAX_MODULUS];
	size_t body_len, hashed_len, uid_len, sig_len = 0, fpr_len = 0;
	const struct hashalgo *algo;
	struct wbuf sw = { sigpkt, sizeof(sigpkt), 0, 0 };
	struct wbuf w = { out, outmax, 0, 0 };
	gpg_error_t err;

	*outlen = 0;
	if (key == NULL || uid == NULL || sign == NULL || out == NULL) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	uid_len = strnlen(uid, PGPCERT_MAX_UID + 1);
	if (uid_len == 0 || uid_len > PGPCERT_MAX_UID ||
	    !uid_is_valid((const uint8_t *)uid, uid_len)) {
		err = gpg_error(GPG_ERR_INV_USER_ID);
		goto out;
	}
	if ((algo = hashalgo_by_gcry(GCRY_MD_SHA256)) == NULL || algo->digest_len != sizeof(digest)) {
		err = gpg_error(GPG_ERR_INTERNAL);
		goto out;
	}
	if ((err = pgpkey_packet_body(key, body, sizeof(body), &body_len)) != 0 ||
	    (err = hex_decode(key->fpr, strlen(key->fpr), fpr, sizeof(fpr), &fpr_len)) != 0)
		goto out;
	if (fpr_len != sizeof(fpr)) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if ((err = build_hashed(key, fpr, hashed, sizeof(hashed), &hashed_len)) != 0)
		goto out;
	hash_cert(body, body_len, (const uint8_t *)uid, uid_len, hashed, hashed_len, digest);

	if ((err = sign(opaque, algo, digest, sizeof(digest), sig, sizeof(sig), &sig_len)) != 0)
		goto out;
	if (sig_len == 0 || sig_len > key->n_len) {
		err = gpg_error(GPG_ERR_BAD_SIGNATURE);
		goto out;
	}
	if ((err = verify_sig(key, digest, sizeof(digest), sig, sig_len)) != 0)
		goto out;

	/* RFC 4880 §5.2.3: hashed part, unhashed subpackets (issuer key ID),
	 * left 16 bits of the hash, then the RSA signature as an MPI (§5.2.2). */
	put_bytes(&sw, hashed, hashed_len);
	put_u16(&sw, 2 + sizeof(key->keyid));
	put_subpacket(&sw, SUB_ISSUER, key->keyid, sizeof(key->keyid));
	put_bytes(&sw, digest, 2);
	put_mpi(&sw, sig, sig_len);
	if (sw.overflow) {
		err = gpg_error(GPG_ERR_INTERNAL);
		goto out;
	}

	put_packet(&w, PKT_PUBLIC_KEY, body, body_len);
	put_packet(&w, PKT_USER_ID, (const uint8_t *)uid, uid_len);
	put_packet(&w, PKT_SIGNATURE, sigpkt, sw.len);
	if (w.overflow) {
		err = gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
		goto out;
	}
	*outlen = w.len;
	err = 0; /* success */
out:
	return err;
}

/* RFC 4880 §6.1. */
static uint32_t
crc24(const uint8_t *p, size_t len)
{
	long crc = CRC24_INIT;
	int i;

	while (len-- > 0) {
		crc ^= (long)(*p++) << 16;
		for (i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= CRC24_POLY;
		}
	}
	return (uint32_t)(crc & 0xFFFFFFL);
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
	c = crc24(data, len);
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
