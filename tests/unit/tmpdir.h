/* tmpdir.h — for unit tests of file handling: a fresh folder under /tmp
 * per test (cmocka setup/teardown), with three names in it that the test
 * may create: FILE, LINK and SUB (none exists at the start).  Teardown
 * removes whatever the test left there, one level deep.
 *
 * Header-only, because each unit test is one .c file linked with the
 * common library (Makefile); include it from one test file only. */
#ifndef SIGNET_TEST_TMPDIR_H
#define SIGNET_TEST_TMPDIR_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct tmpdir {
	char dir[32];
	char file[64];
	char link[64];
	char sub[64];
};

static int
tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/sgutXXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->file, sizeof(t->file), "%s/file", t->dir);
	snprintf(t->link, sizeof(t->link), "%s/link", t->dir);
	snprintf(t->sub, sizeof(t->sub), "%s/sub", t->dir);
	*state = t;
	return 0;
}

/* The number of entries in T's folder besides . and .. (-1: unreadable). */
static int __attribute__((unused))
tmpdir_entries(const struct tmpdir *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (t == NULL)
		return 0;
	if ((d = opendir(t->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
			if (unlink(path) != 0)
				rmdir(path);
		}
		closedir(d);
	}
	rmdir(t->dir);
	free(t);
	return 0;
}

#endif
