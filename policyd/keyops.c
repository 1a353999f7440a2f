/* keyops.c — see keyops.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gcrypt.h>

#include "atomicfile.h"
#include "ecverify.h"
#include "keyops.h"
#include "log.h"
#include "signet-err.h"

_Static_assert(KEYSTATE_MAX_SUBKEYS <= PGPCERT_MAX_SUBKEYS, "a key state must fit a certificate");

static gpg_error_t
sign_rsa(struct hsm *hsm, const struct hsm_key *key, const struct hashalgo *algo, const uint8_t *digest,
         size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen, char *why, size_t whylen)
{
	uint8_t di[HASHALGO_MAX_DIGESTINFO];

	if (algo->prefix_len + digest_len > sizeof(di)) {
		snprintf(why, whylen, "a %s DigestInfo does not fit", algo->name);
		return gpg_error(GPG_ERR_INV_LENGTH);
	}
	memcpy(di, algo->prefix, algo->prefix_len);
	memcpy(di + algo->prefix_len, digest, digest_len);
	return hsm_sign_rsa_pkcs1(hsm, key, di, algo->prefix_len + digest_len, sig, sigmax, siglen, why, whylen);
}

gpg_error_t
keyops_sign_digest(struct hsm *hsm, struct ecverify_cache *vc, const struct hsm_key *key,
                   const struct pgpkey *pub, const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                   uint8_t *sig, size_t sigmax, size_t *siglen, char *why, size_t whylen)
{
	size_t half = pgpkey_sig_len(pub) / 2;
	gpg_error_t r;

	*siglen = 0;
	if (digest_len != algo->digest_len) {
		snprintf(why, whylen, "a %s digest is %zu bytes, got %zu", algo->name, algo->digest_len, digest_len);
		return gpg_error(GPG_ERR_INV_LENGTH);
	}
	switch (pub->type) {
	case PGPKEY_RSA:
		/* gpg-agent checks an RSA card signature itself. */
		return sign_rsa(hsm, key, algo, digest, digest_len, sig, sigmax, siglen, why, whylen);
	case PGPKEY_P256:
	case PGPKEY_P384:
		/* The leftmost field-size bytes, as gpg verifies (tokens differ
		 * in whether they truncate a longer hash themselves). */
		r = hsm_sign_ecdsa(hsm, key, digest, digest_len < half ? digest_len : half, sig, sigmax, siglen,
		                   why, whylen);
		break;
	case PGPKEY_ED25519:
		/* OpenPGP v4 EdDSA: the hash is the message. */
		r = hsm_sign_eddsa(hsm, key, digest, digest_len, sig, sigmax, siglen, why, whylen);
		break;
	default:
		snprintf(why, whylen, "key %s has a type Signet does not sign with", pub->fpr);
		return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	if (r != 0)
		return r;
	/* Neither gpg-agent nor gpg checks an ECDSA or EdDSA signature from a
	 * card: a wrong one would only show up as a bad signature later.  r
	 * and s are each exactly half. */
	if (*siglen != 2 * half)
		r = gpg_error(GPG_ERR_BAD_SIGNATURE);
	else
		r = ecverify_digest_cached(vc, pub, digest, digest_len, sig, *siglen);
	if (r != 0) {
		snprintf(why, whylen, "the token's %zu-byte signature by %s does not verify", *siglen, pub->fpr);
		explicit_bzero(sig, sigmax);
		*siglen = 0;
	}
	return r;
}

/* The keys pgpcert_build() may ask to sign with: the primary and every
 * subkey of the certificate being built. */
struct signers {
	struct hsm *hsm;
	const struct pgpkey *pub[KEYSTATE_MAX_SUBKEYS + 1];
	const struct hsm_key *key[KEYSTATE_MAX_SUBKEYS + 1];
	size_t n;
	char why[256];
};

static gpg_error_t
sign_cb(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
        const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct signers *s = opaque;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->pub[i]->fpr, signer->fpr) == 0)
			return keyops_sign_digest(s->hsm, NULL, s->key[i], s->pub[i], algo, digest, digest_len, sig, sigmax,
			                          siglen, s->why, sizeof(s->why));
	snprintf(s->why, sizeof(s->why), "asked to sign with unknown key %s", signer->fpr);
	return gpg_error(GPG_ERR_NO_SECKEY);
}

/* The new key state for OP from P's, with a subkey created at NOW when OP
 * makes one (*NEED_KEY). */
static gpg_error_t
next_state(const struct project *p, enum keyop op, uint32_t overlap, int64_t now,
           struct keystate *ks, int *need_key, char *why, size_t whylen)
{
	const char *name = p->conf->name;
	struct stat st;
	size_t cur;

	*need_key = 0;
	memset(ks, 0, sizeof(*ks));
	switch (op) {
	case KEYOP_MKCERT:
		if (lstat(p->conf->cert, &st) == 0) {
			snprintf(why, whylen, "%s exists; CERT returns it (ROTATE adds a subkey; remove it to "
			         "make a new one)", p->conf->cert);
			return gpg_error(GPG_ERR_EEXIST);
		}
		if (p->model == PROJECT_SUBKEYS) {   /* state written, certificate lost: same keys */
			*ks = p->ks;
			return 0;
		}
		break;
	case KEYOP_ROTATE:
		if (p->model != PROJECT_SUBKEYS) {
			snprintf(why, whylen, "project %s has %s; %s first", name,
			         p->model == PROJECT_LEGACY ? "no signing subkey (made by Signet 0.1)" : "no certificate",
			         p->model == PROJECT_LEGACY ? "UPGRADE it" : "MKCERT");
			return gpg_error(GPG_ERR_INV_STATE);
		}
		*ks = p->ks;
		if (ks->nsubs >= KEYSTATE_MAX_SUBKEYS) {
			snprintf(why, whylen, "project %s has %d subkeys, the most a certificate holds",
			         name, KEYSTATE_MAX_SUBKEYS);
			return gpg_error(GPG_ERR_TOO_MANY);
		}
		cur = keystate_current(ks);
		if (now <= (int64_t)ks->subs[cur].created) {
			snprintf(why, whylen, "the current subkey of %s was made this second; try again", name);
			return gpg_error(GPG_ERR_EAGAIN);
		}
		ks->subs[cur].sigtime = (uint32_t)now;
		ks->subs[cur].expires = (uint32_t)(now + overlap > now ? now + overlap : now);
		if (ks->subs[cur].expires <= ks->subs[cur].created)
			ks->subs[cur].expires = ks->subs[cur].created + 1;
		break;
	case KEYOP_UPGRADE:
		if (p->model != PROJECT_LEGACY) {
			snprintf(why, whylen, "project %s %s", name, p->model == PROJECT_SUBKEYS ?
			         "has signing subkeys already (ROTATE makes a new one)" : "has no certificate (MKCERT)");
			return gpg_error(GPG_ERR_INV_STATE);
		}
		ks->legacy = 1;
		break;
	}
	if (now < (int64_t)p->conf->created || now > UINT32_MAX) {
		snprintf(why, whylen, "the clock (%lld) is before the primary key's creation (%lld)",
		         (long long)now, (long long)p->conf->created);
		return gpg_error(GPG_ERR_INV_TIME);
	}
	ks->subs[ks->nsubs++] = (struct keystate_subkey){ (uint32_t)now, (uint32_t)now, 0 };
	*need_key = 1;
	return 0;
}

/* Generate the subkey labelled for P at CREATED and resolve it. */
static gpg_error_t
make_subkey(struct hsm *hsm, const struct project *p, uint32_t created, struct keyop_result *res,
            char *why, size_t whylen)
{
	char label[KEYSTATE_LABEL_MAX];
	uint8_t id[HSM_KEY_ID_LEN];
	gpg_error_t r;

	if ((r = keystate_label(p->conf->name, created, label, sizeof(label))) != 0) {
		snprintf(why, whylen, "subkey label too long");
		return r;
	}
	if ((r = hsm_random(hsm, id, sizeof(id), why, whylen)) != 0 ||
	    (r = hsm_keygen(hsm, project_key_type(p->conf->algo), key_algo_bits(p->conf->algo), label, id,
	                    sizeof(id), why, whylen)) != 0 ||
	    (r = project_resolve_label(hsm, label, p->conf->algo, created, &res->newkey, &res->newpub,
	                               why, whylen)) != 0)
		return gpg_err_code(r) == GPG_ERR_EEXIST ? r : gpg_error(SIGNET_ERR_HSM);
	log_info("project %s: signing subkey %s generated (token object %s)", p->conf->name,
	         res->newpub.fpr, label);
	return 0;
}

static gpg_error_t
build(struct hsm *hsm, const struct project *p, struct keyop_result *res, char *why, size_t whylen)
{
	struct pgpcert_subkey subs[KEYSTATE_MAX_SUBKEYS];
	struct signers *s = NULL;
	size_t i, nold = res->newkey ? res->ks.nsubs - 1 : res->ks.nsubs;
	gpg_error_t r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return gpg_error_from_syserror();
	s->hsm = hsm;
	s->pub[0] = &p->pub;
	s->key[0] = p->key;
	s->n = 1;
	for (i = 0; i < res->ks.nsubs; i++) {
		const struct pgpkey *pub = i < nold ? &p->subs[i].pub : &res->newpub;

		s->pub[s->n] = pub;
		s->key[s->n++] = i < nold ? p->subs[i].key : res->newkey;
		subs[i] = (struct pgpcert_subkey){ pub, res->ks.subs[i].sigtime, res->ks.subs[i].expires };
	}
	r = pgpcert_build(&p->pub, res->ks.legacy ? PGPCERT_PRIMARY_LEGACY : PGPCERT_PRIMARY_CERTIFY,
	                  p->conf->uid, subs, res->ks.nsubs, sign_cb, s, res->cert, sizeof(res->cert),
	                  &res->certlen);
	if (r != 0) {
		if (s->why[0] != '\0')
			snprintf(why, whylen, "signing on the HSM failed: %s", s->why);
		else
			snprintf(why, whylen, "cannot build the certificate: %s", gpg_strerror(r));
		r = s->why[0] != '\0' ? gpg_error(SIGNET_ERR_HSM) : r;
	}
	free(s);
	return r;
}

/* UPGRADE: the old certificate must be the start of the new one, so the
 * old self-signature (which old signatures chain to) is unchanged. */
static gpg_error_t
check_prefix(const struct project *p, const struct keyop_result *res, char *why, size_t whylen)
{
	char *old = NULL;
	size_t oldlen = 0;
	gpg_error_t r;

	if ((r = atomicfile_read(p->conf->cert, PGPCERT_MAX, &old, &oldlen)) != 0) {
		snprintf(why, whylen, "cannot read the old certificate %s: %s", p->conf->cert, gpg_strerror(r));
		return r;
	}
	if (oldlen == 0 || oldlen >= res->certlen || memcmp(old, res->cert, oldlen) != 0) {
		snprintf(why, whylen, "%s is not the certificate Signet 0.1 made for this key and user ID (its "
		         "self-signature would change); nothing was written", p->conf->cert);
		r = gpg_error(GPG_ERR_BAD_SIGNATURE);
	}
	free(old);
	return r;
}

gpg_error_t
keyops_prepare(struct hsm *hsm, const struct project *p, enum keyop op,
               uint32_t overlap, int64_t now, struct keyop_result *res, char *why, size_t whylen)
{
	int need_key = 0;
	gpg_error_t r;

	memset(res, 0, sizeof(*res));
	res->op = op;
	if ((r = keystate_path(p->conf->cert, res->keys_path, sizeof(res->keys_path))) != 0) {
		snprintf(why, whylen, "the key state path of %s is too long", p->conf->cert);
		return r;
	}
	if ((r = next_state(p, op, overlap, now, &res->ks, &need_key, why, whylen)) != 0)
		return r;
	if (need_key && (r = make_subkey(hsm, p, res->ks.subs[res->ks.nsubs - 1].created, res, why, whylen)) != 0)
		return r;
	if ((r = build(hsm, p, res, why, whylen)) != 0)
		return r;
	if (op == KEYOP_UPGRADE && (r = check_prefix(p, res, why, whylen)) != 0)
		return r;
	gcry_md_hash_buffer(GCRY_MD_SHA256, res->cert_sha256, res->cert, res->certlen);
	return 0;
}

/* Write DATA to PATH: temporary file, fsync, then link(2) so that an
 * existing PATH is never replaced (GPG_ERR_EEXIST). */
static gpg_error_t
write_new_file(const char *path, const uint8_t *data, size_t len)
{
	gpg_error_t r;
	char tmp[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd = -1, made = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)gettid()) >= sizeof(tmp))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return gpg_error_from_syserror();
	made = 1;
	if (fchmod(fd, 0644) != 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = gpg_error_from_syserror();
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		r = gpg_error_from_syserror();
		goto out;
	}
	fd = -1;
	if (link(tmp, path) != 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	r = 0; /* success */
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	return r;
}

gpg_error_t
keyops_commit(const struct project *p, const struct keyop_result *res, char *why, size_t whylen)
{
	gpg_error_t r;

	/* The key state first: a certificate without it would read as a 0.1
	 * project on the next load, whose primary signs.  A state without its
	 * certificate is repaired by MKCERT (same keys) or another ROTATE. */
	if (!(res->op == KEYOP_MKCERT && res->newkey == NULL) &&
	    (r = keystate_save(res->keys_path, &res->ks, p->conf->name)) != 0) {
		snprintf(why, whylen, "cannot write the key state %s: %s; nothing changed", res->keys_path,
		         gpg_strerror(r));
		return r;
	}
	if (res->op == KEYOP_MKCERT)
		r = write_new_file(p->conf->cert, res->cert, res->certlen);
	else
		r = atomicfile_write_durable(p->conf->cert, res->cert, res->certlen, 0644);
	if (r != 0) {
		snprintf(why, whylen, "the key state %s was written but not the certificate %s (%s); fix the "
		         "cause and run %s", res->keys_path, p->conf->cert, gpg_strerror(r),
		         res->op == KEYOP_MKCERT ? "MKCERT again" : "ROTATE");
		return r;
	}
	return 0;
}

void
keyops_result_clear(struct keyop_result *res)
{
	if (res == NULL)
		return;
	hsm_key_free(res->newkey);
	res->newkey = NULL;
}
