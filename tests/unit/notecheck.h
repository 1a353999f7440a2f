/* notecheck.h — for the audit key tests (test_auditkey,
 * test_tsa_auditkey): a checkpoint signed through an audit_signer must
 * verify with note_checkpoint_verify against the signer's verifier key,
 * and must not verify with a key one bit away.  Header-only; include it
 * from one test file only (after cmocka.h). */
#ifndef SIGNET_TEST_NOTECHECK_H
#define SIGNET_TEST_NOTECHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "signednote.h"

static void
notecheck_signer(const struct audit_signer *s, uint64_t size)
{
	struct note_checkpoint cp, got;
	struct note_vkey vk, other;
	char vkey[NOTE_MAX_VKEY], *note = NULL;
	const char *why = NULL;
	size_t len = 0;

	assert_int_equal(note_vkey_format(s->name, s->pub, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_vkey_parse(vkey, strlen(vkey), &vk, &why), 0);
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", s->name);
	cp.size = size;
	memset(cp.root, (int)(size & 0xff), sizeof(cp.root));
	assert_int_equal(note_checkpoint_sign(&cp, s->name, s->pub, s->sign, s->ctx, &note, &len), 0);
	assert_int_equal(note_checkpoint_verify(note, len, &vk, &got, &why), 0);
	assert_memory_equal(&got, &cp, sizeof(cp));
	other = vk;
	other.pub[(size_t)size % sizeof(other.pub)] ^= 0x10;
	other.hash = note_key_hash(other.name, other.pub);
	assert_int_equal(gpg_err_code(note_checkpoint_verify(note, len, &other, &got, &why)),
	                 GPG_ERR_BAD_SIGNATURE);
	free(note);
}

#endif
