/* server.c — the listening socket (the event loop that serves it is
 * loop.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "policyd.h"
#include "sockpath.h"

#define SERVER_GROUP_BUF 16384   /* getgrnam_r buffer */

/* 1 if something accepts connections on PATH. */
static int
socket_answers(const char *path)
{
	struct sockaddr_un sa;
	int fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static gpg_error_t
lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf;
	int rc;

	if ((buf = malloc(SERVER_GROUP_BUF)) == NULL)
		return gpg_error_from_syserror();
	rc = getgrnam_r(name, &gr, buf, SERVER_GROUP_BUF, &res);
	if (rc == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (rc != 0)
		return gpg_error_from_errno(rc);
	return res ? 0 : gpg_error(GPG_ERR_NOT_FOUND);
}

gpg_error_t
server_listen(struct policyd *pd, const struct signet_config *cfg, char *err, size_t errlen)
{
	gpg_error_t r;
	const char *path = cfg->socket;
	struct sockaddr_un sa;
	struct stat st;
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd = -1;

	pd->listen_fd = -1;
	if (strlen(path) > SOCKPATH_MAX || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %d bytes", path, SOCKPATH_MAX);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (cfg->socket_group != NULL && (r = lookup_group(cfg->socket_group, &gid)) != 0) {
		snprintf(err, errlen, "socket_group %s: no such group", cfg->socket_group);
		return r;
	}
	/* ERR names the folder and its owner when someone else made it. */
	if ((r = sockpath_prepare_dir(path, err, errlen)) != 0)
		return r;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return gpg_error(GPG_ERR_EEXIST);
		}
		if (socket_answers(path)) {
			snprintf(err, errlen, "another signet-policyd is already listening on %s", path);
			return gpg_error(GPG_ERR_EADDRINUSE);
		}
		/* Left over by a daemon that did not shut down cleanly. */
		if (unlink(path) != 0) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
			return r;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	/* Born private; opened up below to exactly the configured mode. */
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = gpg_error_from_syserror();
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto out;
	}
	umask(old);
	if (gid != (gid_t)-1) {
		if (chown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "cannot give %s to group %s: %s", path, cfg->socket_group,
			         strerror(errno));
			goto unlink_out;
		}
	} else if (chmod(path, 0666) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto unlink_out;
	}
	if (listen(fd, POLICYD_LISTEN_BACKLOG) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto unlink_out;
	}
	if ((pd->socket_path = strdup(path)) == NULL) {
		r = gpg_error_from_syserror();
		goto unlink_out;
	}
	pd->listen_fd = fd;
	fd = -1;
	r = 0; /* success */
	goto out;
unlink_out:
	unlink(path);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void
server_close(struct policyd *pd)
{
	if (pd->listen_fd >= 0)
		close(pd->listen_fd);
	pd->listen_fd = -1;
	if (pd->socket_path != NULL)
		unlink(pd->socket_path);
	free(pd->socket_path);
	pd->socket_path = NULL;
}
