/* config.h — signet.conf, the policy daemon's configuration (INI, libinih).
 *
 * Strict: an unknown section or key, a bad value, a duplicate key or a
 * missing required key is an error reported as "FILE:LINE: reason" and
 * nothing starts.  Layout (doc/signet-policyd.8 has the full reference):
 *
 *   [policyd]
 *   socket = /path/policyd.sock        (required)
 *   socket_group = signet              (optional: 0660 + this group; else 0666)
 *   audit = /path/audit.jsonl          (required)
 *   instance = 1A2B3C4D                (required: installation id, 8 hex)
 *   log = /path/policyd.log            (optional; default stderr)
 *   admins = user:root group:wheel     (optional; root and the daemon's own
 *                                       user are always admins)
 *   [hsm]
 *   module = /usr/lib/softhsm/libsofthsm2.so
 *   token = signet
 *   pin_file = /path/user-pin          (0600, owned by the daemon's user)
 *   so_pin_file = /path/so-pin         (optional: only for --init-token)
 *   softhsm2_conf = /path/softhsm2.conf (optional: exported as SOFTHSM2_CONF)
 *   [project NAME]                     (NAME: [A-Za-z0-9._-]{1,64})
 *   key = pkcs11:token=signet;object=NAME
 *   algo = rsa2048 | rsa3072 | rsa4096 | p256 | p384 | ed25519
 *   uid = Name <mail>
 *   created = 1732579200               (the OpenPGP key creation time)
 *   cert = /path/certs/NAME.pgp
 *   signers = user:alice group:release
 *   hashes = sha256 sha384 sha512      (optional; sha1 and md5 refused)
 *   approvers = user:bob group:leads   (optional; who may approve)
 *   approvals = 2                      (optional; distinct approvers needed, 0 = none)
 *   approval_wait = 15m                (optional; how long SIGN may wait; 0 = never)
 *   hours = Mon-Fri 06:00-20:00, Sat 09:00-12:00 Europe/Berlin   (optional)
 *   rate = 100/hour                    (optional; per requester and project)
 *   second_factor = none | totp        (optional)
 * and in [policyd]:
 *   state = /path/state                (optional folder of policyd.db; default:
 *                                       the audit file's folder)
 *   notify = /path/to/program          (optional; run on approval events)
 *   audit_origin = example.com/signet  (optional; checkpoints' origin line)
 *   checkpoint_every = 1000            (optional; records between checkpoints)
 *   checkpoint_interval = 60s          (optional; at most this long after a record)
 *   audit_segment_size = 256M          (optional; roll the trail over at this size)
 *   tsa_url = http://127.0.0.1:8318/   (optional; time-stamp each checkpoint)
 */
#ifndef SIGNET_CONFIG_H
#define SIGNET_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <gpg-error.h>

#define CONFIG_MAX_FILE   (1024 * 1024)
#define CONFIG_MAX_LINE   199      /* libinih's INI_MAX_LINE is 200 */
#define CONFIG_MAX_PROJECTS 256
#define CONFIG_MAX_PRINCIPALS 64
#define PROJECT_NAME_MAX  64

enum principal_kind { PRINCIPAL_USER = 1, PRINCIPAL_GROUP = 2 };

struct principal {
	enum principal_kind kind;
	char *name;
};

/* hours = …: signing is allowed while the local time in TZ falls in one
 * of the windows.  A window is a set of days and [start, end) in minutes
 * after local midnight; end may be 1440 (24:00).  A window whose end is
 * not after its start (22:00-06:00) runs past midnight: it starts on
 * each of its days and ends on the next day. */
#define CONFIG_MAX_WINDOWS 16
#define CONFIG_MAX_TZ      64
struct hours_window {
	uint8_t days;              /* bit 0 = Monday … bit 6 = Sunday */
	uint16_t start_min, end_min;
};
struct hours {
	size_t nwindows;           /* 0: no restriction (no hours key) */
	struct hours_window w[CONFIG_MAX_WINDOWS];
	char tz[CONFIG_MAX_TZ];    /* IANA name, e.g. "Europe/Berlin"; "UTC" */
};

/* rate = N/second|minute|hour|day: at most COUNT signatures per requester
 * and project in any sliding window of PERIOD_SEC. */
#define CONFIG_MAX_RATE 100000     /* N of rate = N/…; policyd/store.h STORE_MAX_RATE */
struct rate {
	unsigned count;            /* 0: no limit */
	unsigned period_sec;       /* 1, 60, 3600, 86400 */
};

enum second_factor { SECOND_FACTOR_NONE = 0, SECOND_FACTOR_TOTP = 1 };

#define CONFIG_MAX_APPROVALS     16          /* approvals = N */
#define CONFIG_MAX_APPROVAL_WAIT (24 * 3600) /* approval_wait, seconds */

enum key_algo {
	KEY_ALGO_NONE = 0, KEY_ALGO_RSA2048, KEY_ALGO_RSA3072, KEY_ALGO_RSA4096,
	KEY_ALGO_P256, KEY_ALGO_P384, KEY_ALGO_ED25519,     /* ECDSA, ECDSA, EdDSA */
};
/* The accepted values of algo = and --algo, for messages. */
#define KEY_ALGO_NAMES "rsa2048, rsa3072, rsa4096, p256, p384 or ed25519"

struct project_conf {
	char *name;
	char *key_uri;
	enum key_algo algo;
	char *uid;
	int64_t created;
	char *cert;
	struct principal *signers;
	size_t nsigners;
	unsigned int hash_mask;    /* hashalgo bits; default sha256|sha384|sha512 */
	struct principal *approvers;
	size_t napprovers;
	unsigned approvals;        /* distinct approvers needed; 0: none */
	unsigned approval_wait;    /* seconds SIGN may wait for them; 0: refuse at once */
	struct hours hours;
	struct rate rate;
	enum second_factor second_factor;
	int line;                  /* line of the [project] header */
};

/* [policyd] connection limits: every local user may hold a few
 * connections (signet-scd keeps up to 4 per gpg-agent, the CLI one), and
 * the daemon holds at most max_connections (further bounded by its open
 * file limit). */
#define CONFIG_DEFAULT_MAX_CONN_PER_USER 32
#define CONFIG_DEFAULT_MAX_CONN          4096
#define CONFIG_MAX_CONN                  1000000

struct signet_config {
	char *path;
	/* [policyd] */
	char *socket;
	char *socket_group;
	char *audit;
	char *log;
	uint8_t instance[4];
	struct principal *admins;
	size_t nadmins;
	unsigned max_connections_per_user;   /* 0 in the file: CONFIG_DEFAULT_… */
	unsigned max_connections;
	char *state;               /* folder of policyd's state (policyd.db) */
	char *notify;              /* NULL: none */
	/* The verifiable audit log (doc/audit-format.md §8.3, §9). */
	char *audit_origin;        /* NULL: "signet.<instance>/policyd" */
	unsigned checkpoint_every; /* 0: AUDIT_CKPT_EVERY_DEFAULT */
	unsigned checkpoint_interval; /* seconds; 0: AUDIT_CKPT_MS_DEFAULT */
	uint64_t audit_segment_size;  /* 0: AUDIT_SEGMENT_DEFAULT */
	char *tsa_url;             /* NULL: checkpoints carry no time-stamp */
	/* [hsm] */
	char *module;
	char *token;
	char *pin_file;
	char *so_pin_file;
	char *softhsm2_conf;
	/* [project …] */
	struct project_conf *projects;
	size_t nprojects;
};

/* Load and validate PATH.  On error *CFG is NULL and ERR (ERRLEN bytes) holds
 * "PATH:LINE: reason" (or "PATH: reason"); the return value is
 * GPG_ERR_INV_VALUE for content errors or the errno-based error of reading. */
gpg_error_t config_load(const char *path, struct signet_config **cfg, char *err, size_t errlen);
/* Same for a config held in memory (NAME is used in messages). */
gpg_error_t config_parse_buffer(const char *name, const char *buf, size_t len,
                                struct signet_config **cfg, char *err, size_t errlen);
void config_free(struct signet_config *cfg);

const struct project_conf *config_find_project(const struct signet_config *cfg, const char *name);

/* 1 if NAME is a valid project name. */
int config_project_name_ok(const char *name);

/* The token object name of signet-tsa's key; signet-tsa --init also makes
 * CONFIG_TSA_OBJECT "-ca". */
#define CONFIG_TSA_OBJECT "signet-tsa"

/* 1 if NAME is CONFIG_TSA_OBJECT or CONFIG_TSA_OBJECT "-…": a project's key
 * is the token object of the project's name, so a project named so would
 * share a key with the time-stamp authority on the same token. */
int config_name_is_tsa_object(const char *name);
const char *key_algo_name(enum key_algo a);       /* "rsa3072" */
enum key_algo key_algo_parse(const char *s);      /* KEY_ALGO_NONE if unknown */
unsigned int key_algo_bits(enum key_algo a);      /* 3072; 0 for the EC types */

/* Parse "user:alice group:release" into a new array (*OUT, *N).  ERR gets a
 * reason on failure. */
gpg_error_t principals_parse(const char *s, struct principal **out, size_t *n, char *err, size_t errlen);
void principals_free(struct principal *p, size_t n);

#endif
