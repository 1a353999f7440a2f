/* test_idcache.c — policyd's memory of the user database (idcache.h),
 * written as the attacks: a member removed from a group (the watched file
 * edited in place or replaced, as gpasswd does) is not answered from
 * memory at the next request; an answer looked up across an emptying is
 * not kept; a flood of names a user can make policyd look up keeps the
 * table bounded; racing threads always get the database's answer.  The
 * real user database answers (root exists everywhere); the watched files
 * are the test's own, so that it can change them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "tmpdir.h"
#include "../../policyd/idcache.h"

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static struct idcache *
fresh(const struct tmpdir *t, unsigned ttl_ms)
{
	struct idcache *ic = NULL;

	put(t->file, "passwd\n");
	put(t->link, "group\n");
	assert_int_equal(idcache_new(t->file, t->link, ttl_ms, &ic), 0);
	return ic;
}

static void
counts(struct idcache *ic, unsigned long hits, unsigned long misses)
{
	unsigned long h, m;

	idcache_counts(ic, &h, &m);
	assert_int_equal(h, hits);
	assert_int_equal(m, misses);
}

/* Root's answer, checked against the database's. */
static void
root_user(struct idcache *ic)
{
	char name[IDCACHE_NAME_MAX];
	gid_t *g = NULL;
	size_t n = 0, i;
	int in_root = 0;

	assert_int_equal(idcache_user(ic, 0, name, sizeof(name), &g, &n), 0);
	assert_string_equal(name, "root");
	for (i = 0; i < n; i++)
		in_root |= g[i] == 0;
	assert_true(in_root);
	free(g);
}

static void
test_remembers_until_a_file_changes(void **state)
{
	struct tmpdir *t = *state;
	struct idcache *ic = fresh(t, 60000);
	uid_t u = 1;
	gid_t g = 1;

	idcache_check(ic);
	root_user(ic);
	root_user(ic);
	counts(ic, 1, 1);
	assert_int_equal(idcache_uid(ic, "root", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(idcache_gid(ic, "root", &g), 0);
	assert_int_equal(g, 0);
	idcache_check(ic);                  /* nothing changed */
	assert_int_equal(idcache_uid(ic, "root", &u), 0);
	assert_int_equal(idcache_gid(ic, "root", &g), 0);
	root_user(ic);
	counts(ic, 4, 3);
	/* The group file edited in place (a byte appended). */
	put(t->link, "x");
	idcache_check(ic);
	root_user(ic);
	assert_int_equal(idcache_gid(ic, "root", &g), 0);
	counts(ic, 4, 5);
	idcache_free(ic);
}

static void
test_replaced_file_empties(void **state)
{
	struct tmpdir *t = *state;
	struct idcache *ic = fresh(t, 60000);
	struct stat before, after;

	idcache_check(ic);
	root_user(ic);
	/* Replaced by rename with the same size and content, as shadow-utils
	 * writes /etc/group: only the inode tells. */
	assert_int_equal(stat(t->file, &before), 0);
	put(t->sub, "passwd\n");
	assert_int_equal(rename(t->sub, t->file), 0);
	assert_int_equal(stat(t->file, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	idcache_check(ic);
	root_user(ic);
	counts(ic, 0, 2);
	/* A watched file that disappears is a change too. */
	assert_int_equal(unlink(t->file), 0);
	idcache_check(ic);
	root_user(ic);
	counts(ic, 0, 3);
	idcache_free(ic);
}

static void
test_ttl_zero_looks_up_each_request(void **state)
{
	struct tmpdir *t = *state;
	struct idcache *ic = fresh(t, 0);
	uid_t u;

	idcache_check(ic);
	assert_int_equal(idcache_uid(ic, "root", &u), 0);
	assert_int_equal(idcache_uid(ic, "root", &u), 0);   /* same request */
	idcache_check(ic);
	assert_int_equal(idcache_uid(ic, "root", &u), 0);
	counts(ic, 1, 2);
	idcache_free(ic);
}

static void
test_absent_names_are_remembered_and_bounded(void **state)
{
	struct tmpdir *t = *state;
	struct idcache *ic = fresh(t, 60000);
	char name[48], longname[IDCACHE_NAME_MAX + 8];
	uid_t u;
	gid_t g;
	int i;

	idcache_check(ic);
	assert_int_equal(idcache_uid(ic, "sg-no-such-user", &u), -1);
	assert_int_equal(idcache_uid(ic, "sg-no-such-user", &u), -1);
	assert_int_equal(idcache_gid(ic, "sg-no-such-group", &g), -1);
	assert_int_equal(idcache_gid(ic, "sg-no-such-group", &g), -1);
	counts(ic, 2, 2);
	/* Far more names than the table holds: every answer stays right. */
	for (i = 0; i < 3 * IDCACHE_MAX; i++) {
		snprintf(name, sizeof(name), "sg-flood-%d", i);
		assert_int_equal(idcache_gid(ic, name, &g), -1);
	}
	assert_int_equal(idcache_gid(ic, "root", &g), 0);
	assert_int_equal(g, 0);
	/* A name too long to keep is looked up every time, and still right. */
	memset(longname, 'b', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(idcache_uid(ic, longname, &u), -1);
	assert_int_equal(idcache_uid(ic, "", &u), -1);
	assert_int_equal(idcache_uid(ic, NULL, &u), -1);
	idcache_free(ic);
}

static void
test_no_cache(void **state)
{
	uid_t u;
	gid_t g;

	(void)state;
	idcache_check(NULL);
	root_user(NULL);
	assert_int_equal(idcache_uid(NULL, "root", &u), 0);
	assert_int_equal(idcache_gid(NULL, "root", &g), 0);
	assert_int_equal(idcache_uid(NULL, "sg-no-such-user", &u), -1);
}

struct racer {
	struct idcache *ic;
	int emptier;
	int bad;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	char name[IDCACHE_NAME_MAX];
	gid_t *g, gid;
	size_t n;
	uid_t u;
	int i;

	for (i = 0; i < 2000; i++) {
		if (r->emptier) {
			idcache_check(r->ic);
			continue;
		}
		if (idcache_user(r->ic, 0, name, sizeof(name), &g, &n) != 0 || strcmp(name, "root") != 0)
			r->bad++;
		free(g);
		if (idcache_uid(r->ic, "root", &u) != 0 || u != 0 || idcache_gid(r->ic, "root", &gid) != 0 ||
		    gid != 0 || idcache_uid(r->ic, "sg-no-such-user", &u) != -1)
			r->bad++;
	}
	return NULL;
}

static void
test_threads_race_with_emptying(void **state)
{
	struct tmpdir *t = *state;
	struct idcache *ic = fresh(t, 0);    /* every check empties */
	struct racer r[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .ic = ic, .emptier = i == 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	idcache_free(ic);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_remembers_until_a_file_changes, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_replaced_file_empties, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_ttl_zero_looks_up_each_request, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_absent_names_are_remembered_and_bounded, tmpdir_setup,
		                                tmpdir_teardown),
		cmocka_unit_test(test_no_cache),
		cmocka_unit_test_setup_teardown(test_threads_race_with_emptying, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
