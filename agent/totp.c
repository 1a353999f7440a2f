/* totp.c — `signet totp enroll | reset USER`: the second factor
 * (signet(1) "SECOND FACTOR").  The otpauth URI carries the secret: it goes
 * to stdout and, for a QR code, to qrencode's stdin, never into an argv
 * (other users can read argv in /proc). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "home.h"
#include "pd.h"

/* Connect to the socket named by --socket, else the home's. */
static int
totp_connect(struct cli *cli, const char *socket, struct signet_config **cfg, assuan_context_t *ctx)
{
	struct home h;
	int rc;

	*cfg = NULL;
	*ctx = NULL;
	if (socket == NULL) {
		if ((rc = home_open(cli, &h, cfg)) != 0)
			return rc;
		socket = (*cfg)->socket;
	}
	return pd_open(socket, 0, ctx);
}

/* Write all of BUF to FD; -1 on failure. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The URI as a QR code on the terminal, when qrencode is installed and
 * stdout is a terminal; silently nothing otherwise. */
static void
show_qr(const char *uri, size_t len)
{
	int fds[2], status;
	pid_t pid;

	if (!isatty(STDOUT_FILENO) || pipe(fds) != 0)
		return;
	fflush(stdout);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		char *const argv[] = { "qrencode", "-t", "ANSIUTF8", NULL };
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[0], STDIN_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);   /* "not found" is not an error here */
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);   /* qrencode missing: the write fails, no more */
	(void)write_all(fds[1], uri, len);
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static int
totp_enroll_cmd(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	const char *socket = NULL;
	uint8_t *uri = NULL;
	size_t len = 0;
	gpg_error_t err = 0;
	int rc;

	if ((rc = cli_parse_home_socket(cli, argc, argv, TOTP_USAGE, &socket)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage(TOTP_USAGE, "totp enroll: unexpected argument '%s'", argv[optind]);
	if ((rc = totp_connect(cli, socket, &cfg, &ctx)) != CLI_EXIT_OK)
		goto out;
	rc = pd_call(ctx, "TOTP ENROLL", &uri, &len, NULL, NULL, "enrol a second factor",
	             "if you lost your authenticator, ask a signet admin for `signet totp reset USER`",
	             &err);
	if (rc != CLI_EXIT_OK)
		goto out;
	printf("Add this to your authenticator app (it holds your secret: keep it to yourself):\n"
	       "%.*s\n", (int)len, (const char *)uri);
	show_qr((const char *)uri, len);
	printf("Signing with a project that has second_factor = totp now asks for its current code.\n");
	rc = CLI_EXIT_OK;
out:
	if (uri != NULL) {
		explicit_bzero(uri, len);
		free(uri);
	}
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

static int
totp_reset_cmd(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	const char *socket = NULL;
	char cmd[128];
	int rc;

	if ((rc = cli_parse_home_socket(cli, argc, argv, TOTP_USAGE, &socket)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind + 1 != argc)
		return cli_usage(TOTP_USAGE, "totp reset: name one user");
	if (strlen(argv[optind]) == 0 || strlen(argv[optind]) > 64 || strpbrk(argv[optind], " \t\r\n%+") != NULL)
		return cli_usage(TOTP_USAGE, "totp reset: '%s' is not a user name", argv[optind]);
	snprintf(cmd, sizeof(cmd), "TOTP RESET %s", argv[optind]);
	if ((rc = totp_connect(cli, socket, &cfg, &ctx)) != CLI_EXIT_OK)
		goto out;
	if ((rc = pd_call(ctx, cmd, NULL, NULL, NULL, NULL, "reset the second factor", NULL, NULL)) !=
	    CLI_EXIT_OK)
		goto out;
	printf("second factor of %s reset: failures cleared, enrolment removed; they run "
	       "`signet totp enroll` again\n", argv[optind]);
out:
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

int
totp_command(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(TOTP_USAGE, "totp: which one: enroll or reset?");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: signet %s\n", TOTP_USAGE);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "enroll") == 0)
		return totp_enroll_cmd(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "reset") == 0)
		return totp_reset_cmd(cli, argc - 1, argv + 1);
	return cli_usage(TOTP_USAGE, "totp: unknown subcommand '%s' (enroll, reset)", argv[1]);
}
