/* mkcert-ec.c — test helper: a project certificate for EC keys made in
 * software (OpenSSL, tests/tools/ecsoft.h), through pgpkey/pgpcert/pgpsig,
 * so that tests/e2e can check the ECDSA and EdDSA encodings against real
 * gpg without an HSM.
 *
 *   mkcert-ec TYPE CREATED UID OUTPREFIX DATAFILE
 *
 * TYPE is p256, p384 or ed25519.  A certify-only primary of TYPE created
 * at CREATED with one signing subkey of TYPE created at CREATED + 10:
 * OUTPREFIX.pgp (binary), and detached binary signatures over DATAFILE
 * made at CREATED + 60: OUTPREFIX.s.sig by the subkey, OUTPREFIX.p.sig by
 * the primary.  Prints "fpr", "grip", "keyid", "sub-fpr", "sub-grip",
 * "sub-keyid" lines; the keygrips are libgcrypt's of the public keys (not
 * pgpkey's), so that a test compares them with gpg's.
 *
 * Exit 0 on success, 1 on any failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "certtool.h"
#include "ecsoft.h"
#include "hashalgo.h"
#include "hex.h"
#include "pgpcert.h"
#include "pgpkey.h"
#include "pgpsig.h"
#include "pgpwrite.h"

static enum pgpkey_type
parse_type(const char *s)
{
	if (strcmp(s, "p256") == 0)
		return PGPKEY_P256;
	if (strcmp(s, "p384") == 0)
		return PGPKEY_P384;
	if (strcmp(s, "ed25519") == 0)
		return PGPKEY_ED25519;
	return PGPKEY_NONE;
}

static void
print_key(const char *label, const struct pgpkey *key, const char *grip)
{
	char keyid[17];

	if (hex_encode(key->keyid, sizeof(key->keyid), keyid, sizeof(keyid)) != 0)
		keyid[0] = '\0';
	printf("%sfpr %s\n%sgrip %s\n%skeyid %s\n", label, key->fpr, label, grip, label, keyid);
}

int
main(int argc, char **argv)
{
	static uint8_t cert[PGPCERT_MAX], data[65536];
	struct ecsoft ek;
	struct pgpcert_subkey sub;
	enum pgpkey_type type;
	size_t cert_len = 0, data_len;
	uint32_t created;
	FILE *f;
	gpg_error_t err;
	int rc = 1;

	memset(&ek, 0, sizeof(ek));
	if (argc != 6 || (type = parse_type(argv[1])) == PGPKEY_NONE) {
		fprintf(stderr, "usage: mkcert-ec p256|p384|ed25519 CREATED UID OUTPREFIX DATAFILE\n");
		return 1;
	}
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "mkcert-ec: libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	created = (uint32_t)strtoul(argv[2], NULL, 10);
	if ((f = fopen(argv[5], "rb")) == NULL) {
		fprintf(stderr, "mkcert-ec: %s: %s\n", argv[5], strerror(errno));
		return 1;
	}
	data_len = fread(data, 1, sizeof(data), f);
	fclose(f);
	if (!ecsoft_make_key(&ek, 0, type, created) || !ecsoft_make_key(&ek, 1, type, created + 10))
		goto out;
	sub = (struct pgpcert_subkey){ &ek.key[1], created + 10, 0 };
	if ((err = pgpcert_build(&ek.key[0], PGPCERT_PRIMARY_CERTIFY, argv[3], &sub, 1, ecsoft_sign, &ek, cert,
	                         sizeof(cert), &cert_len)) != 0) {
		fprintf(stderr, "mkcert-ec: pgpcert_build: %s\n", gpg_strerror(err));
		goto out;
	}
	if (!certtool_write(argv[4], ".pgp", cert, cert_len) ||
	    !certtool_data_sig(ecsoft_sign, &ek, &ek.key[1], data, data_len, created + 60, argv[4], ".s.sig") ||
	    !certtool_data_sig(ecsoft_sign, &ek, &ek.key[0], data, data_len, created + 60, argv[4], ".p.sig"))
		goto out;
	print_key("", &ek.key[0], ek.grip[0]);
	print_key("sub-", &ek.key[1], ek.grip[1]);
	rc = 0;
out:
	ecsoft_free(&ek);
	return rc;
}
