/* pgparmor.c — see pgparmor.h.  Base64 is OpenSSL's (EVP_Decode*), which
 * skips the line feeds between lines. */
#include "pgparmor.h"

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#define CRC24_INIT 0xB704CEL
#define CRC24_POLY 0x1864CFBL
#define ARMOR_MAX_LABEL 64

uint32_t
pgparmor_crc24(const uint8_t *p, size_t len)
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

/* The line of TEXT that starts at *POS: its length without LF or CRLF;
 * *POS moves to the next line. */
static size_t
next_line(const char *text, size_t len, size_t *pos, const char **line)
{
	const char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
	size_t n = nl != NULL ? (size_t)(nl - s) : len - *pos;

	*line = s;
	*pos += n + (nl != NULL);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

static int
line_is(const char *line, size_t n, const char *want)
{
	size_t w = strlen(want);

	/* trailing blanks after an armor line are allowed (§6.2) */
	if (n < w || memcmp(line, want, w) != 0)
		return 0;
	for (size_t i = w; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 0;
	return 1;
}

/* The offset of the last line of TEXT that is BEGIN: (size_t)-1 if none. */
static size_t
find_last(const char *text, size_t len, const char *begin)
{
	size_t pos = 0, at = (size_t)-1, start, n;
	const char *line;

	while (pos < len) {
		start = pos;
		n = next_line(text, len, &pos, &line);
		if (line_is(line, n, begin))
			at = start;
	}
	return at;
}

/* Decode the base64 LINE (N characters) into OUT at *OUTLEN. */
static gpg_error_t
decode_line(EVP_ENCODE_CTX *ctx, const char *line, size_t n, uint8_t *out, size_t outmax,
            size_t *outlen, const char **why)
{
	int got = 0;

	/* a line decodes to at most 3/4 of its length, plus what the context
	 * held back from the line before (< 4 characters, 3 bytes) */
	if (n > 1024 || outmax - *outlen < n / 4 * 3 + 6) {
		*why = "the armored block is too large";
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (EVP_DecodeUpdate(ctx, out + *outlen, &got, (const unsigned char *)line, (int)n) < 0) {
		*why = "the armored block is not valid base64";
		return gpg_error(GPG_ERR_INV_DATA);
	}
	*outlen += (size_t)got;
	return 0;
}

static gpg_error_t
check_crc(const char *line, size_t n, const uint8_t *data, size_t len, const char **why)
{
	uint8_t crc[6];
	uint32_t c = pgparmor_crc24(data, len);

	if (n != 5 || EVP_DecodeBlock(crc, (const unsigned char *)line + 1, 4) != 3) {
		*why = "the armor checksum line is malformed";
		return gpg_error(GPG_ERR_INV_DATA);
	}
	if (crc[0] != (uint8_t)(c >> 16) || crc[1] != (uint8_t)(c >> 8) || crc[2] != (uint8_t)c) {
		*why = "the armor checksum does not match the data (the block was altered)";
		return gpg_error(GPG_ERR_CHECKSUM);
	}
	return 0;
}

/* The body of the block from POS (after its BEGIN line) to END. */
static gpg_error_t
decode_body(const char *text, size_t len, size_t pos, const char *end, uint8_t *out, size_t outmax,
            size_t *outlen, const char **why)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	const char *line, *crcline = NULL;
	size_t n, crclen = 0;
	int in_headers = 1, got = 0;
	gpg_error_t err;

	*outlen = 0;
	if (ctx == NULL) {
		*why = "out of memory";
		return gpg_error(GPG_ERR_ENOMEM);
	}
	EVP_DecodeInit(ctx);
	err = gpg_error(GPG_ERR_INV_DATA);
	*why = "the armored block has no END line";
	while (pos < len) {
		n = next_line(text, len, &pos, &line);
		if (line_is(line, n, end)) {
			if (EVP_DecodeFinal(ctx, out + *outlen, &got) < 0) {
				*why = "the armored block is not valid base64";
				goto out;
			}
			*outlen += (size_t)got;
			err = crcline != NULL ? check_crc(crcline, crclen, out, *outlen, why) : 0;
			goto out;
		}
		if (in_headers) {   /* "Key: value" lines up to a blank one */
			if (n > 0 && memchr(line, ':', n) != NULL)
				continue;   /* base64 has no ':' */
			in_headers = 0;
			if (n == 0)
				continue;
		}
		if (crcline != NULL) {
			*why = "data after the armor checksum line";
			goto out;
		}
		if (n > 0 && line[0] == '=') {
			crcline = line;
			crclen = n;
			continue;
		}
		if ((err = decode_line(ctx, line, n, out, outmax, outlen, why)) != 0)
			goto out;
		err = gpg_error(GPG_ERR_INV_DATA);
		*why = "the armored block has no END line";
	}
out:
	EVP_ENCODE_CTX_free(ctx);
	return err;
}

gpg_error_t
pgparmor_decode(const char *text, size_t len, const char *type, uint8_t *out, size_t outmax,
                size_t *outlen, const char **why)
{
	char begin[ARMOR_MAX_LABEL], end[ARMOR_MAX_LABEL];
	size_t at, pos;
	const char *line;

	*outlen = 0;
	if (snprintf(begin, sizeof(begin), "-----BEGIN PGP %s-----", type) >= (int)sizeof(begin) ||
	    snprintf(end, sizeof(end), "-----END PGP %s-----", type) >= (int)sizeof(end)) {
		*why = "armor label too long";
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((at = find_last(text, len, begin)) == (size_t)-1) {
		*why = "no armored block";
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	pos = at;
	next_line(text, len, &pos, &line);
	return decode_body(text, len, pos, end, out, outmax, outlen, why);
}
