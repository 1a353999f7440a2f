/* configaudit.h — every configuration policyd puts in force is in the
 * audit trail: which file bytes (SHA-256), loaded how (start, RELOAD by
 * whom, SIGHUP), and what changed that decides who may sign: projects
 * added or removed, their signers, keys and hashes, the admins.  A reload
 * that fails is recorded too (result "error"). */
#ifndef SIGNET_POLICYD_CONFIGAUDIT_H
#define SIGNET_POLICYD_CONFIGAUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <gpg-error.h>

#include "audit.h"
#include "config.h"

#define CONFIGAUDIT_SHA256_LEN 32

/* Who loaded a configuration: a RELOAD's caller, or nobody (start, SIGHUP). */
struct configaudit_by {
	const char *how;          /* "start", "RELOAD", "SIGHUP" */
	int has_requester;
	uid_t uid;
	const char *user;
	pid_t pid;
};

/* config_load, and the SHA-256 of exactly the bytes parsed into SHA256
 * (*HAVE_SHA set once the file was read, also when it does not parse). */
gpg_error_t configaudit_load(const char *path, struct signet_config **cfg,
                             uint8_t sha256[CONFIGAUDIT_SHA256_LEN], int *have_sha,
                             char *err, size_t errlen);

/* Record that NEW_CFG (file bytes SHA256) is in force, loaded BY, and each
 * change from OLD_CFG (NULL at start).  Returns the first append error
 * (everything is still tried). */
gpg_error_t configaudit_record(struct audit_log *audit, const struct configaudit_by *by,
                               const uint8_t sha256[CONFIGAUDIT_SHA256_LEN],
                               const struct signet_config *old_cfg, const struct signet_config *new_cfg);

/* Record a reload BY that failed with ERR (SHA256 NULL if the file could
 * not be read). */
gpg_error_t configaudit_failed(struct audit_log *audit, const struct configaudit_by *by,
                               const uint8_t *sha256, const char *err);

#endif
