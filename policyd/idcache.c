/* idcache.c — see idcache.h. */
#include "idcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "platform.h"
#include "monotime.h"

/* What identifies a file's content without reading it; an edit in place
 * moves mtime and ctime, a replacement (shadow-utils' rename) the inode. */
struct stamp {
	int ok;                       /* 0: the stat failed (that is a state too) */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

struct user_ent {
	uid_t uid;
	char name[IDCACHE_NAME_MAX];
	gid_t *groups;
	size_t ngroups;
	gpg_error_t err;
};

struct name_ent {
	char name[IDCACHE_NAME_MAX];
	int found;
	unsigned id;                  /* uid or gid */
};

struct idcache {
	pthread_mutex_t lock;
	char *passwd_path, *group_path;
	unsigned ttl_ms;
	uint64_t gen;                 /* bumped by every emptying */
	uint64_t emptied_ms;
	struct stamp pw, gr;
	struct user_ent users[IDCACHE_MAX];
	size_t nusers;
	struct name_ent unames[IDCACHE_MAX], gnames[IDCACHE_MAX];
	size_t nunames, ngnames;
	unsigned long hits, misses;
};

static void
stamp_of(const char *path, struct stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)
		return;
	*s = (struct stamp){ .ok = 1, .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
	                     .mtim = st.st_mtim, .ctim = st.st_ctim };
}

static int
stamp_same(const struct stamp *a, const struct stamp *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* Under the lock. */
static void
empty_locked(struct idcache *ic)
{
	size_t i;

	for (i = 0; i < ic->nusers; i++)
		free(ic->users[i].groups);
	ic->nusers = ic->nunames = ic->ngnames = 0;
	ic->gen++;
}

gpg_error_t
idcache_new(const char *passwd_path, const char *group_path, unsigned ttl_ms, struct idcache **out)
{
	struct idcache *ic;

	*out = NULL;
	if ((ic = calloc(1, sizeof(*ic))) == NULL)
		return gpg_error_from_syserror();
	ic->passwd_path = strdup(passwd_path != NULL ? passwd_path : "/etc/passwd");
	ic->group_path = strdup(group_path != NULL ? group_path : "/etc/group");
	if (ic->passwd_path == NULL || ic->group_path == NULL || pthread_mutex_init(&ic->lock, NULL) != 0) {
		free(ic->passwd_path);
		free(ic->group_path);
		free(ic);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	ic->ttl_ms = ttl_ms;
	stamp_of(ic->passwd_path, &ic->pw);
	stamp_of(ic->group_path, &ic->gr);
	ic->emptied_ms = monotime_ms();
	*out = ic;
	return 0;
}

void
idcache_free(struct idcache *ic)
{
	if (ic == NULL)
		return;
	empty_locked(ic);
	pthread_mutex_destroy(&ic->lock);
	free(ic->passwd_path);
	free(ic->group_path);
	free(ic);
}

void
idcache_check(struct idcache *ic)
{
	struct stamp pw, gr;
	uint64_t now;

	if (ic == NULL)
		return;
	/* The stats outside the lock: a slow file system must not hold up
	 * every other request's lookups. */
	stamp_of(ic->passwd_path, &pw);
	stamp_of(ic->group_path, &gr);
	now = monotime_ms();
	pthread_mutex_lock(&ic->lock);
	if (!stamp_same(&pw, &ic->pw) || !stamp_same(&gr, &ic->gr) || now - ic->emptied_ms >= ic->ttl_ms) {
		empty_locked(ic);
		ic->pw = pw;
		ic->gr = gr;
		ic->emptied_ms = now;
	}
	pthread_mutex_unlock(&ic->lock);
}

static gid_t *
groups_dup(const gid_t *g, size_t n)
{
	gid_t *c;

	if (n == 0 || (c = calloc(n, sizeof(*c))) == NULL)
		return NULL;
	memcpy(c, g, n * sizeof(*c));
	return c;
}

/* The cached answer for UID into the caller's buffers: 1, or 0 when there
 * is none.  Under the lock. */
static int
user_hit_locked(struct idcache *ic, uid_t uid, char *name, size_t namelen, gid_t **groups,
                size_t *ngroups, gpg_error_t *err)
{
	const struct user_ent *e;
	size_t i;

	for (i = 0; i < ic->nusers; i++) {
		e = &ic->users[i];
		if (e->uid != uid)
			continue;
		*groups = groups_dup(e->groups, e->ngroups);
		if (e->ngroups > 0 && *groups == NULL) {
			*err = gpg_error(GPG_ERR_ENOMEM);
		} else {
			*ngroups = e->ngroups;
			*err = e->err;
		}
		snprintf(name, namelen, "%s", e->name);
		ic->hits++;
		return 1;
	}
	return 0;
}

gpg_error_t
idcache_user(struct idcache *ic, uid_t uid, char *name, size_t namelen, gid_t **groups, size_t *ngroups)
{
	struct user_ent *e;
	gpg_error_t err = 0;
	uint64_t gen;

	*groups = NULL;
	*ngroups = 0;
	if (ic != NULL) {
		pthread_mutex_lock(&ic->lock);
		if (user_hit_locked(ic, uid, name, namelen, groups, ngroups, &err)) {
			pthread_mutex_unlock(&ic->lock);
			return err;
		}
		ic->misses++;
		gen = ic->gen;
		pthread_mutex_unlock(&ic->lock);
	}
	platform_user_name(uid, name, namelen);
	err = platform_user_groups(uid, groups, ngroups);
	/* Out of memory is not an answer about the user: not kept. */
	if (ic == NULL || gpg_err_code(err) == GPG_ERR_ENOMEM)
		return err;
	pthread_mutex_lock(&ic->lock);
	if (gen == ic->gen) {
		if (ic->nusers == IDCACHE_MAX)
			empty_locked(ic);
		e = &ic->users[ic->nusers];
		e->groups = groups_dup(*groups, *ngroups);
		if (*ngroups == 0 || e->groups != NULL) {
			e->uid = uid;
			snprintf(e->name, sizeof(e->name), "%s", name);
			e->ngroups = *ngroups;
			e->err = err;
			ic->nusers++;
		}
	}
	pthread_mutex_unlock(&ic->lock);
	return err;
}

/* The user database's answer for user (IS_GROUP 0) or group NAME: 1 with
 * its id in *ID, or 0 (no such name, *ID 0). */
static int
from_database(int is_group, const char *name, unsigned *id)
{
	uid_t u;
	gid_t g;
	int found;

	found = is_group ? platform_group_gid(name, &g) == 0 : platform_user_uid(name, &u) == 0;
	*id = found ? (is_group ? (unsigned)g : (unsigned)u) : 0;
	return found;
}

/* The name table shared by users (IS_GROUP 0) and groups. */
static int
name_lookup(struct idcache *ic, int is_group, const char *name, unsigned *id)
{
	struct name_ent *tab, *e;
	size_t *n, i;
	int found;
	uint64_t gen;

	if (ic == NULL || strlen(name) >= IDCACHE_NAME_MAX)
		return from_database(is_group, name, id) ? 0 : -1;
	tab = is_group ? ic->gnames : ic->unames;
	n = is_group ? &ic->ngnames : &ic->nunames;
	pthread_mutex_lock(&ic->lock);
	for (i = 0; i < *n; i++) {
		if (strcmp(tab[i].name, name) == 0) {
			found = tab[i].found;
			*id = tab[i].id;
			ic->hits++;
			pthread_mutex_unlock(&ic->lock);
			return found ? 0 : -1;
		}
	}
	ic->misses++;
	gen = ic->gen;
	pthread_mutex_unlock(&ic->lock);
	found = from_database(is_group, name, id);
	pthread_mutex_lock(&ic->lock);
	if (gen == ic->gen) {
		if (*n == IDCACHE_MAX)
			empty_locked(ic);
		e = &tab[(*n)++];
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->found = found;
		e->id = *id;
	}
	pthread_mutex_unlock(&ic->lock);
	return found ? 0 : -1;
}

int
idcache_uid(struct idcache *ic, const char *name, uid_t *uid)
{
	unsigned id;

	if (name == NULL || name[0] == '\0' || name_lookup(ic, 0, name, &id) != 0)
		return -1;
	if (uid != NULL)
		*uid = (uid_t)id;
	return 0;
}

int
idcache_gid(struct idcache *ic, const char *name, gid_t *gid)
{
	unsigned id;

	if (name == NULL || name[0] == '\0' || name_lookup(ic, 1, name, &id) != 0)
		return -1;
	if (gid != NULL)
		*gid = (gid_t)id;
	return 0;
}

void
idcache_counts(struct idcache *ic, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&ic->lock);
	*hits = ic->hits;
	*misses = ic->misses;
	pthread_mutex_unlock(&ic->lock);
}
