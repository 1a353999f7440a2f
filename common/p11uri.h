/* p11uri.h — the parts of an RFC 7512 PKCS#11 URI that name a key.
 *
 * Accepted: "pkcs11:" followed by path attributes token=, object=, id=
 * (percent-encoded bytes), type=private|public, manufacturer=, model=,
 * serial=, library-*= (ignored); query attributes are rejected (a PIN never
 * goes into a URI here).  Percent-decoding per RFC 7512 §2.3.
 *
 * Why not p11-kit's p11_kit_uri_parse() (0.24.1, measured): it takes
 * "token=x;token=y" as token y (a reviewer reading the configuration sees
 * x), truncates "token=a%00b" to "a", drops blanks ("token=a b" is "ab"),
 * keeps "#frag" in the label, accepts empty values, type=cert and a token
 * label over 32 bytes (only flagged as unrecognised), and "pkcs11:;" or a
 * trailing ";".  Every one of those is refused here; p11-kit's parser
 * would need this one in front of it to refuse them. */
#ifndef SIGNET_P11URI_H
#define SIGNET_P11URI_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define P11URI_MAX_LEN 1024
#define P11URI_MAX_ATTR 256

struct p11uri {
	char token[P11URI_MAX_ATTR + 1];
	char object[P11URI_MAX_ATTR + 1];
	uint8_t id[P11URI_MAX_ATTR];
	size_t id_len;
	int has_token, has_object, has_id;
};

/* Parse S.  ERR gets a reason on failure (GPG_ERR_INV_VALUE). */
gpg_error_t p11uri_parse(const char *s, struct p11uri *uri, char *err, size_t errlen);
/* Format "pkcs11:token=T;object=O" (percent-encoding what needs it).
 * GPG_ERR_BUFFER_TOO_SHORT if OUT is too small, GPG_ERR_INV_VALUE for an
 * empty name or a result longer than P11URI_MAX_LEN (OUT then holds ""). */
gpg_error_t p11uri_format(const char *token, const char *object, char *out, size_t outlen);

#endif
