/* init.c — `signet init`: make the embedded-default home, idempotently.
 *
 * Nothing that exists is ever rewritten: PIN files, the instance id (and so
 * the virtual card's serial, which gpg-agent 2.2 binds its stubs to) and the
 * projects in signet.conf survive any number of re-runs. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "commands.h"
#include "config.h"
#include "home.h"
#include "run.h"
#include "sockpath.h"
#include "trustpath.h"

#define INIT_PIN_LEN        16
#define INIT_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define INIT_MODULE_ENV     "SIGNET_PKCS11_MODULE"
#define INIT_TOKEN_LABEL    "signet"
#define INIT_CONF_MAX       4096

static const char pin_alphabet[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static gpg_error_t
random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t r;

	while (len > 0) {
		r = getrandom(p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gpg_error_from_syserror();
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* INIT_PIN_LEN characters from pin_alphabet, uniformly: bytes >= 248 (the
 * largest multiple of 62 below 256) are drawn again. */
static gpg_error_t
make_pin(char *pin, size_t pinlen)
{
	uint8_t rnd[64];
	size_t have = 0, i = 0, used = sizeof(rnd);
	gpg_error_t err = 0;

	if (pinlen < INIT_PIN_LEN + 1)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	while (have < INIT_PIN_LEN) {
		if (used == sizeof(rnd)) {
			if ((err = random_bytes(rnd, sizeof(rnd))) != 0)
				goto out;
			used = 0;
		}
		i = rnd[used++];
		if (i >= 248)
			continue;
		pin[have++] = pin_alphabet[i % 62];
	}
	pin[have] = '\0';
out:
	explicit_bzero(rnd, sizeof(rnd));
	return err;
}

/* mkdir -p for the parents, then DIR itself with MODE (exact, whatever the
 * umask).  An existing DIR is left as it is.  *CREATED is set to 1 when it
 * was made. */
static int
ensure_dir(const char *dir, mode_t mode, int *created)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i, len = strlen(dir);

	*created = 0;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cli_fail("create %s: it exists and is not a folder; remove it or choose "
			                "another --home", dir);
		return CLI_EXIT_OK;
	}
	if (len >= sizeof(path))
		return cli_fail("create %s: path too long; choose a shorter --home", dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return cli_fail("create %s: %s; check the permissions of its parent folder",
			                path, strerror(errno));
		path[i] = '/';
	}
	if (mkdir(dir, mode) != 0)
		return cli_fail("create %s: %s; check the permissions of its parent folder",
		                dir, strerror(errno));
	if (chmod(dir, mode) != 0)
		return cli_fail("set the mode of %s: %s; check its owner", dir, strerror(errno));
	*created = 1;
	printf("created %s/\n", dir);
	return CLI_EXIT_OK;
}

/* The secrets folder must not be readable by anyone else: refuse to go on
 * (and so to put PINs into it) when it is. */
static int
check_private_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return cli_fail("check %s: %s; run `signet init` again", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return cli_fail("check %s: not a folder owned by you; remove it and run `signet init` again", dir);
	if (st.st_mode & 077)
		return cli_fail("check %s: it is accessible to other users (mode %03o); run `chmod 700 %s`",
		                dir, (unsigned)(st.st_mode & 0777), dir);
	return CLI_EXIT_OK;
}

int
init_pin_file(const char *path, const char *what, int *created)
{
	char pin[INIT_PIN_LEN + 1];
	struct stat st;
	gpg_error_t err;
	int rc = CLI_EXIT_OK;

	*created = 0;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
			return cli_fail("check %s: not a regular file owned by you; remove it and the token, "
			                "then run `signet init` again", path);
		if (st.st_mode & 077)
			return cli_fail("check %s: the %s is readable by other users (mode %03o); run `chmod 600 %s`",
			                path, what, (unsigned)(st.st_mode & 0777), path);
		return CLI_EXIT_OK;
	}
	if ((err = make_pin(pin, sizeof(pin))) != 0) {
		rc = cli_fail("make the %s: %s; check that the kernel's random source works", what, gpg_strerror(err));
		goto out;
	}
	/* No trailing newline: the file holds exactly the PIN. */
	if ((err = atomicfile_create(path, pin, INIT_PIN_LEN, 0600)) != 0) {
		rc = cli_fail("write %s: %s; check the folder's permissions and free space", path, gpg_strerror(err));
		goto out;
	}
	*created = 1;
	printf("created %s (%s, mode 0600; never printed)\n", path, what);
out:
	explicit_bzero(pin, sizeof(pin));
	return rc;
}

static int
put_line(char *buf, size_t buflen, size_t *pos, const char *conf, const char *key, const char *value)
{
	int n;

	if (key == NULL)
		n = snprintf(buf + *pos, buflen - *pos, "%s\n", value);
	else
		n = snprintf(buf + *pos, buflen - *pos, "%s = %s\n", key, value);
	if (n < 0 || (size_t)n >= buflen - *pos)
		return cli_fail("write %s: the file would be too large; choose a shorter --home", conf);
	if (key != NULL && (size_t)n - 1 > CONFIG_MAX_LINE)
		return cli_fail("write %s: the line for '%s' would be %d characters, more than the %d "
		                "signet.conf allows; choose a shorter --home path", conf, key, n - 1, CONFIG_MAX_LINE);
	*pos += (size_t)n;
	return CLI_EXIT_OK;
}

static int
write_softhsm_conf(const struct home *h, int *created)
{
	char buf[INIT_CONF_MAX];
	struct stat st;
	gpg_error_t err;
	int n;

	*created = 0;
	if (lstat(h->softhsm2_conf, &st) == 0)
		return CLI_EXIT_OK;
	n = snprintf(buf, sizeof(buf),
	             "# SoftHSM2 configuration of the Signet home %s (written by `signet init`).\n"
	             "directories.tokendir = %s\n"
	             "objectstore.backend = file\n"
	             "log.level = ERROR\n"
	             "slots.removable = false\n", h->dir, h->tokens);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return cli_fail("write %s: path too long; choose a shorter --home", h->softhsm2_conf);
	if ((err = atomicfile_create(h->softhsm2_conf, buf, (size_t)n, 0644)) != 0)
		return cli_fail("write %s: %s; check the folder's permissions", h->softhsm2_conf, gpg_strerror(err));
	*created = 1;
	printf("created %s\n", h->softhsm2_conf);
	return CLI_EXIT_OK;
}

/* The new signet.conf for H into BUF (*LEN bytes).  Done once before
 * anything is created, so that a home whose paths do not fit is refused
 * without leaving half a home behind, and again for real. */
static int
build_signet_conf(const struct home *h, int create, char *buf, size_t buflen, size_t *len, char *sock,
                  size_t socklen, char *instance, size_t instlen)
{
	char errtext[512], why[TRUSTPATH_MAX_WHY];
	uint8_t rnd[4];
	const char *module;
	struct signet_config *cfg = NULL;
	size_t pos = 0;
	gpg_error_t err;
	int rc;

	*len = 0;
	if ((err = sockpath_choose(h->run, "policyd.sock", create, sock, socklen, why, sizeof(why))) != 0)
		return cli_fail("choose the policyd socket path under %s: %s; choose a shorter --home",
		                h->run, why[0] ? why : gpg_strerror(err));
	if ((err = random_bytes(rnd, sizeof(rnd))) != 0)
		return cli_fail("make the instance id: %s; check the kernel's random source", gpg_strerror(err));
	snprintf(instance, instlen, "%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3]);
	module = getenv(INIT_MODULE_ENV);
	if (module == NULL || module[0] == '\0')
		module = INIT_DEFAULT_MODULE;
	if (module[0] != '/')
		return cli_fail("use PKCS#11 module %s: not an absolute path; set %s to the module's full path",
		                module, INIT_MODULE_ENV);
	if ((rc = put_line(buf, buflen, &pos, h->conf, NULL,
	                   "# Signet policy daemon configuration (signet-policyd(8)), written by `signet init`.\n"
	                   "# `signet project create` appends [project NAME] sections.\n"
	                   "[policyd]")) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "socket", sock)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "audit", h->audit)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "log", h->log)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "instance", instance)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, NULL, "\n[hsm]")) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "module", module)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "token", INIT_TOKEN_LABEL)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "pin_file", h->user_pin)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "so_pin_file", h->so_pin)) != 0 ||
	    (rc = put_line(buf, buflen, &pos, h->conf, "softhsm2_conf", h->softhsm2_conf)) != 0)
		return rc;
	/* What we write must be what policyd will accept. */
	errtext[0] = '\0';
	if ((err = config_parse_buffer(h->conf, buf, pos, &cfg, errtext, sizeof(errtext))) != 0)
		return cli_fail("write %s: the new configuration does not load (%s); this is a bug in signet, "
		                "please report it", h->conf, errtext[0] ? errtext : gpg_strerror(err));
	config_free(cfg);
	*len = pos;
	return CLI_EXIT_OK;
}

static int
write_signet_conf(const struct home *h, int *created)
{
	char buf[INIT_CONF_MAX], sock[SOCKPATH_MAX + 1], instance[9];
	struct signet_config *cfg = NULL;
	struct stat st;
	size_t len = 0;
	gpg_error_t err;
	int rc;

	*created = 0;
	if (lstat(h->conf, &st) == 0) {
		/* Kept as it is (instance id, projects); only check it loads. */
		if ((rc = home_load_config(h, &cfg)) != 0)
			return rc;
		config_free(cfg);
		return CLI_EXIT_OK;
	}
	if ((rc = build_signet_conf(h, 1, buf, sizeof(buf), &len, sock, sizeof(sock), instance,
	                            sizeof(instance))) != 0)
		return rc;
	if ((err = atomicfile_create(h->conf, buf, len, 0644)) != 0)
		return cli_fail("write %s: %s; check the folder's permissions", h->conf, gpg_strerror(err));
	*created = 1;
	printf("created %s (instance %s, socket %s)\n", h->conf, instance, sock);
	if (strncmp(sock, h->run, strlen(h->run)) != 0)
		printf("note: the home's path is too long for a Unix socket, so the socket goes to %s\n", sock);
	return CLI_EXIT_OK;
}

/* SoftHSM2's file store keeps one sub-folder per initialised token. */
static int
token_present(const char *tokens)
{
	DIR *d;
	struct dirent *e;
	int found = 0;

	if ((d = opendir(tokens)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

static int
init_token(const struct cli *cli, const struct home *h)
{
	int status = -1, rc;
	char *argv[] = { "signet-policyd", "--config", (char *)h->conf, "--init-token", NULL };

	/* The PINs travel in files named by the config, never in argv. */
	if ((rc = run_sibling(cli, "signet-policyd", argv, h->softhsm2_conf, NULL, &status)) != CLI_EXIT_OK)
		return rc;
	if (status != 0)
		return cli_fail("initialise the HSM token: signet-policyd --init-token exited with status %d; "
		                "see the messages above and %s, remove %s/* and run `signet init` again",
		                status, h->log, h->tokens);
	printf("initialised the SoftHSM2 token '%s' in %s\n", INIT_TOKEN_LABEL, h->tokens);
	return CLI_EXIT_OK;
}

int
init_command(struct cli *cli, int argc, char **argv)
{
	struct home h;
	struct stat st;
	gpg_error_t err;
	int rc, made, changed = 0;

	if ((rc = cli_parse_home(cli, argc, argv, INIT_USAGE)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage(INIT_USAGE, "init: unexpected argument '%s'", argv[optind]);
	if ((err = home_paths(cli_home(cli), &h)) != 0)
		return cli_fail("use home %s: %s; choose a shorter --home", cli_home(cli), gpg_strerror(err));

	/* Never build a home where someone else can swap its files. */
	if ((rc = home_check_trust(&h)) != CLI_EXIT_OK)
		return rc;
	if (lstat(h.conf, &st) != 0) {
		char buf[INIT_CONF_MAX], sock[SOCKPATH_MAX + 1], instance[9];
		size_t len;

		/* Dry run: refuse a home whose paths do not fit before
		 * creating anything. */
		if ((rc = build_signet_conf(&h, 0, buf, sizeof(buf), &len, sock, sizeof(sock),
		                            instance, sizeof(instance))) != 0)
			return rc;
	}
	if ((rc = ensure_dir(h.dir, 0755, &made)) != 0)
		return rc;
	changed |= made;
	/* The home now exists: take its canonical name. */
	if ((err = home_paths(h.dir, &h)) != 0)
		return cli_fail("use home %s: %s; choose a shorter --home", h.dir, gpg_strerror(err));
	if ((rc = ensure_dir(h.tokens, 0700, &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = ensure_dir(h.secrets, 0700, &made)) != 0 || (rc = check_private_dir(h.secrets)) != 0)
		return rc;
	changed |= made;
	if ((rc = init_pin_file(h.user_pin, "user PIN", &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = init_pin_file(h.so_pin, "SO PIN", &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = write_softhsm_conf(&h, &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = ensure_dir(h.certs, 0755, &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = ensure_dir(h.audit_dir, 0750, &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = ensure_dir(h.run, 0755, &made)) != 0)
		return rc;
	changed |= made;
	if ((rc = write_signet_conf(&h, &made)) != 0)
		return rc;
	changed |= made;
	if (!token_present(h.tokens)) {
		if ((rc = init_token(cli, &h)) != 0)
			return rc;
		changed = 1;
	}
	if (!changed) {
		printf("Signet home %s is already initialised; nothing changed "
		       "(PINs, instance id, token and projects kept)\n", h.dir);
		return CLI_EXIT_OK;
	}
	printf("Signet home ready at %s\n"
	       "next:\n"
	       "  signet --home %s start\n"
	       "  signet --home %s project create NAME --algo rsa3072 --uid 'Name <mail>'\n",
	       h.dir, h.dir, h.dir);
	return CLI_EXIT_OK;
}
