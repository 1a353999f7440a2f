/* sigextract-tsp.c — RFC 3161 tokens: a DER TimeStampResp (§2.4.2) or a
 * bare TimeStampToken (a CMS ContentInfo), parsed by OpenSSL. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "sigextract-int.h"

/* The DER lengths OpenSSL was given must be an int; a token is < 64 KiB. */
#define TSP_MAX_DER (1024 * 1024)

static gpg_error_t
take_serial(const ASN1_INTEGER *ser, struct sigextract *sx, char *why, size_t whylen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ser, NULL);
	char *hex = NULL;
	gpg_error_t err = 0;

	if (bn == NULL || BN_is_negative(bn) || (hex = BN_bn2hex(bn)) == NULL ||
	    strlen(hex) >= sizeof(sx->serial))
		err = sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the token's serial number is negative or "
		           "longer than 160 bits");
	else
		snprintf(sx->serial, sizeof(sx->serial), "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return err;
}

static gpg_error_t
take_time(const ASN1_GENERALIZEDTIME *gt, struct sigextract *sx, char *why, size_t whylen)
{
	struct tm tm;
	int n = ASN1_STRING_length(gt);

	if (n <= 0 || n >= (int)sizeof(sx->gen_time) || !ASN1_TIME_to_tm(gt, &tm))
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the token's genTime is malformed");
	memcpy(sx->gen_time, ASN1_STRING_get0_data(gt), (size_t)n);
	sx->gen_time[n] = '\0';
	sx->created = (int64_t)timegm(&tm);
	return 0;
}

static gpg_error_t
take_tst(TS_TST_INFO *tst, struct sigextract *sx, char *why, size_t whylen)
{
	TS_MSG_IMPRINT *mi;
	const ASN1_INTEGER *ser;
	const ASN1_GENERALIZEDTIME *gt;
	const ASN1_OCTET_STRING *msg;
	const ASN1_OBJECT *algobj;
	X509_ALGOR *alg;
	const char *sn;
	gpg_error_t err;

	if (tst == NULL || (mi = TS_TST_INFO_get_msg_imprint(tst)) == NULL ||
	    (ser = TS_TST_INFO_get_serial(tst)) == NULL || (gt = TS_TST_INFO_get_time(tst)) == NULL ||
	    (alg = TS_MSG_IMPRINT_get_algo(mi)) == NULL || (msg = TS_MSG_IMPRINT_get_msg(mi)) == NULL)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the time-stamp token has no TSTInfo");
	sx->kind = SIGEXTRACT_RFC3161;
	if ((err = take_serial(ser, sx, why, whylen)) != 0 || (err = take_time(gt, sx, why, whylen)) != 0)
		return err;
	X509_ALGOR_get0(&algobj, NULL, NULL, alg);
	if ((sn = OBJ_nid2sn(OBJ_obj2nid(algobj))) == NULL || strlen(sn) >= sizeof(sx->hash) ||
	    ASN1_STRING_length(msg) <= 0 || ASN1_STRING_length(msg) > SIGEXTRACT_MAX_IMPRINT)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the token's message imprint is malformed");
	snprintf(sx->hash, sizeof(sx->hash), "%s", sn);
	sx->imprint_len = (size_t)ASN1_STRING_length(msg);
	memcpy(sx->imprint, ASN1_STRING_get0_data(msg), sx->imprint_len);
	return 0;
}

static gpg_error_t
from_token(PKCS7 *p7, struct sigextract *sx, char *why, size_t whylen)
{
	TS_TST_INFO *tst = PKCS7_to_TS_TST_INFO(p7);
	gpg_error_t err = take_tst(tst, sx, why, whylen);

	TS_TST_INFO_free(tst);
	return err;
}

gpg_error_t
sigextract_der(const uint8_t *p, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	const unsigned char *q = p;
	TS_RESP *resp = NULL;
	PKCS7 *p7 = NULL;
	gpg_error_t err;

	if (len > TSP_MAX_DER)
		return sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "too large for a time-stamp token");
	if ((resp = d2i_TS_RESP(NULL, &q, (long)len)) != NULL && q == p + len) {
		sx->container = "RFC 3161 time-stamp response";
		if (TS_RESP_get_token(resp) == NULL)
			err = sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "the time-stamp response holds no token "
			           "(the TSA refused the request)");
		else
			err = take_tst(TS_RESP_get_tst_info(resp), sx, why, whylen);
		goto out;
	}
	q = p;
	if ((p7 = d2i_PKCS7(NULL, &q, (long)len)) != NULL && q == p + len) {
		sx->container = "RFC 3161 time-stamp token";
		err = from_token(p7, sx, why, whylen);
		goto out;
	}
	err = sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "not a DER time-stamp response or token");
out:
	PKCS7_free(p7);
	TS_RESP_free(resp);
	return err;
}
