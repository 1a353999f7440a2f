/* sigextract.c — see sigextract.h: which container a file is, and the
 * signature packet or token inside it. */
#include "sigextract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgparmor.h"
#include "sigextract-int.h"

#define RPM_LEAD       96
#define RPM_SIG_MAX_IL 1024            /* index entries of a signature header */
#define RPM_SIG_MAX_DL (256 * 1024)    /* its data store */
#define RPM_TYPE_BIN   7
#define GIT_MAX_SIG    (64 * 1024)     /* an un-indented gpgsig header */

static const uint8_t rpm_lead_magic[4] = { 0xed, 0xab, 0xee, 0xdb };
static const uint8_t rpm_header_magic[4] = { 0x8e, 0xad, 0xe8, 0x01 };
/* Signature tags in the order they are preferred: RSAHEADER, DSAHEADER
 * (rpm ≥ 4.12 puts ECDSA and EdDSA signatures there too), then the legacy
 * header+payload GPG and PGP ones. */
static const uint32_t rpm_sig_tags[] = { 268, 267, 1005, 1002 };

gpg_error_t
sigextract_fail(gpg_err_code_t code, char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
	return gpg_error(code);
}

uint32_t
sigextract_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The signature header right after the lead: its index, then its data. */
static gpg_error_t
parse_rpm(const uint8_t *p, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	const uint8_t *h = p + RPM_LEAD, *idx, *data;
	uint32_t il, dl, tag, type, off, count;

	sx->container = "RPM package";
	if (len < RPM_LEAD + 16 || memcmp(h, rpm_header_magic, 4) != 0)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the RPM has no signature header after its lead");
	il = sigextract_u32(h + 8);
	dl = sigextract_u32(h + 12);
	if (il > RPM_SIG_MAX_IL || dl > RPM_SIG_MAX_DL || (size_t)il * 16 + dl > len - RPM_LEAD - 16)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the RPM signature header is truncated or too large");
	idx = h + 16;
	data = idx + (size_t)il * 16;
	for (size_t t = 0; t < sizeof(rpm_sig_tags) / sizeof(rpm_sig_tags[0]); t++) {
		for (uint32_t i = 0; i < il; i++) {
			tag = sigextract_u32(idx + 16 * i);
			type = sigextract_u32(idx + 16 * i + 4);
			off = sigextract_u32(idx + 16 * i + 8);
			count = sigextract_u32(idx + 16 * i + 12);
			if (tag != rpm_sig_tags[t])
				continue;
			if (type != RPM_TYPE_BIN || off > dl || count > dl - off)
				return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the RPM's signature entry is malformed");
			return sigextract_packets(data + off, count, sx, why, whylen);
		}
	}
	return sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "the RPM is not signed (no RSAHEADER, DSAHEADER, "
	            "GPG or PGP signature tag)");
}

static gpg_error_t
from_armor(const char *text, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	uint8_t *buf = malloc(PGPARMOR_MAX_DATA);
	size_t n = 0;
	const char *w = NULL;
	gpg_error_t err;

	if (buf == NULL)
		return sigextract_fail(GPG_ERR_ENOMEM, why, whylen, "out of memory");
	if ((err = pgparmor_decode(text, len, "SIGNATURE", buf, PGPARMOR_MAX_DATA, &n, &w)) != 0)
		snprintf(why, whylen, "%s", gpg_err_code(err) == GPG_ERR_NOT_FOUND ?
		         "no OpenPGP signature in it (no \"-----BEGIN PGP SIGNATURE-----\" block, no "
		         "signature packet, no RPM signature, no RFC 3161 token)" : w);
	else
		err = sigextract_packets(buf, n, sx, why, whylen);
	free(buf);
	return err;
}

/* A git commit object: the gpgsig (or gpgsig-sha256) header, whose
 * continuation lines start with one space (git's commit format). */
static gpg_error_t
parse_commit(const char *text, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	const char *end = memmem(text, len, "\n\n", 2), *s = NULL, *nl;
	size_t hlen = end != NULL ? (size_t)(end - text) + 1 : len, pos = 0, n, out = 0;
	char *buf;
	gpg_error_t err;

	sx->container = "git commit";
	for (pos = 0; pos < hlen; pos = (size_t)(nl - text) + 1) {
		if ((nl = memchr(text + pos, '\n', hlen - pos)) == NULL)
			break;
		if (strncmp(text + pos, "gpgsig ", 7) == 0 || strncmp(text + pos, "gpgsig-sha256 ", 14) == 0) {
			s = (const char *)memchr(text + pos, ' ', hlen - pos) + 1;
			break;
		}
	}
	if (s == NULL)
		return sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "the git commit is not signed (no gpgsig header)");
	if ((buf = malloc(GIT_MAX_SIG)) == NULL)
		return sigextract_fail(GPG_ERR_ENOMEM, why, whylen, "out of memory");
	for (pos = (size_t)(s - text); pos < hlen; pos = (size_t)(nl - text) + 2) {
		if ((nl = memchr(text + pos, '\n', hlen - pos)) == NULL)
			break;
		n = (size_t)(nl - text) - pos + 1;   /* with its line feed */
		if (n > GIT_MAX_SIG - out) {
			free(buf);
			return sigextract_fail(GPG_ERR_TOO_LARGE, why, whylen, "the git commit's gpgsig header is too long");
		}
		memcpy(buf + out, text + pos, n);
		out += n;
		if ((size_t)(nl - text) + 1 >= hlen || nl[1] != ' ')
			break;
	}
	err = from_armor(buf, out, sx, why, whylen);
	free(buf);
	return err;
}

static gpg_error_t
parse_text(const char *text, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	static const char clear[] = "-----BEGIN PGP SIGNED MESSAGE-----";

	if (len >= 5 && memcmp(text, "tree ", 5) == 0)
		return parse_commit(text, len, sx, why, whylen);
	if (len >= 7 && memcmp(text, "object ", 7) == 0)
		sx->container = "git tag";
	else if (len >= sizeof(clear) - 1 && memcmp(text, clear, sizeof(clear) - 1) == 0)
		sx->container = "clearsigned text";
	else
		sx->container = "armored signature";
	return from_armor(text, len, sx, why, whylen);
}

gpg_error_t
sigextract_parse(const uint8_t *buf, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	gpg_error_t err;

	memset(sx, 0, sizeof(*sx));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len == 0)
		return sigextract_fail(GPG_ERR_NO_DATA, why, whylen, "the file is empty");
	if (len > SIGEXTRACT_MAX_INPUT)
		return sigextract_fail(GPG_ERR_TOO_LARGE, why, whylen, "the input is larger than 64 MiB");
	if (len >= 4 && memcmp(buf, rpm_lead_magic, 4) == 0)
		return parse_rpm(buf, len, sx, why, whylen);
	if (buf[0] == 0x30 &&
	    gpg_err_code(err = sigextract_der(buf, len, sx, why, whylen)) != GPG_ERR_NOT_FOUND)
		return err;
	if (buf[0] & 0x80) {
		sx->container = "binary signature";
		return sigextract_packets(buf, len, sx, why, whylen);
	}
	return parse_text((const char *)buf, len, sx, why, whylen);
}

/* Read FD (SIZE bytes) whole, or its first SIGEXTRACT_RPM_HEAD bytes when
 * it is a larger RPM. */
static gpg_error_t
read_fd(int fd, off_t size, uint8_t **bufp, size_t *lenp, char *why, size_t whylen)
{
	size_t want = (size_t)size, got = 0;
	uint8_t *buf;
	ssize_t r;

	if (size > SIGEXTRACT_MAX_INPUT)
		want = SIGEXTRACT_RPM_HEAD;
	if ((buf = malloc(want + 1)) == NULL)
		return sigextract_fail(GPG_ERR_ENOMEM, why, whylen, "out of memory");
	while (got < want && (r = read(fd, buf + got, want - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			snprintf(why, whylen, "read: %s", strerror(errno));
			return gpg_error_from_errno(errno);
		}
		got += (size_t)r;
	}
	if ((off_t)want < size && (got < 4 || memcmp(buf, rpm_lead_magic, 4) != 0)) {
		free(buf);
		return sigextract_fail(GPG_ERR_TOO_LARGE, why, whylen, "larger than 64 MiB and not an RPM");
	}
	buf[got] = 0;
	*bufp = buf;
	*lenp = got;
	return 0;
}

gpg_error_t
sigextract_parse_file(const char *path, struct sigextract *sx, char *why, size_t whylen)
{
	char inner[SIGEXTRACT_MAX_WHY];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd;
	gpg_error_t err;

	memset(sx, 0, sizeof(*sx));
	inner[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		err = gpg_error_from_errno(errno);
		snprintf(inner, sizeof(inner), "%s%s", strerror(errno),
		         errno == ELOOP ? " (symbolic links are refused)" : "");
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = gpg_error(GPG_ERR_INV_VALUE);
		snprintf(inner, sizeof(inner), "not a regular file");
		goto out;
	}
	if ((err = read_fd(fd, st.st_size, &buf, &len, inner, sizeof(inner))) == 0)
		err = sigextract_parse(buf, len, sx, inner, sizeof(inner));
out:
	if (err != 0)
		snprintf(why, whylen, "%s: %s", path, inner);
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

gpg_error_t
sigextract_value(const struct sigextract *sx, char *out, size_t outlen)
{
	size_t off = 0;

	if (outlen == 0)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[0] = '\0';
	if (sx->kind == SIGEXTRACT_RFC3161) {
		if ((size_t)snprintf(out, outlen, "%s", sx->serial) >= outlen)
			return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
		return 0;
	}
	for (size_t c = 0; c < sx->ncomp && c < 2; c++) {
		if (outlen - off < 2 * sx->comp_len[c] + 2)
			return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
		if (c > 0)
			out[off++] = ':';
		for (size_t i = 0; i < sx->comp_len[c]; i++)
			off += (size_t)snprintf(out + off, outlen - off, "%02x", sx->comp[c][i]);
	}
	return 0;
}
