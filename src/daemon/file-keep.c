/* SPDX-License-Identifier: ISC */
/*
 * file-keep.c - retention of the files directory (file-keep.h).
 *
 * One node: a kept file that no message in the store refers to (store_file_used(), one seek
 * in the index on messages.file) is removed. Swept at start, after the store's retention
 * removed rows (store_pruned() moved; at most every KEEP_GAP seconds), and hourly in any case,
 * for frontdeskctl purge, which deletes rows behind the daemon's back. A sweep that meets a
 * store failing to commit (file messages not in the file yet) stops and goes again a second
 * later; writes merely queued are in within a turn or two, their files within the grace.
 *
 * A file younger than KEEP_GRACE is never removed: a file message may be on its way to the
 * store still. Its age counts from its message's release: a room member's message held by its
 * pace is stored only when it goes out, which may be long after its file was kept, so the
 * room touches the file then (file_keep_touch()); sending a kept file again makes it young
 * again too. A desk stores a held message at once (record_store()): nothing to wait for.
 *
 * A cluster (decided): the directory is one every node shares, and a file may be referred to by
 * messages of other nodes, kept in Redis, which this node's store does not hold. There the
 * history's age alone decides: a kept file last sent more than history_max_age ago is removed
 * (history_max_age 0: never), as the history that refers to it is by then. With store = off
 * nothing is kept that could refer to a file: the directory is left as it is (a private one is
 * removed at exit anyway).
 */
#include "file-keep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "filedir.h"
#include "log.h"
#include "server.h"
#include "store.h"

#define KEEP_GAP   10   /* seconds between sweeps caused by the store's retention */
#define KEEP_HOUR  3600 /* seconds between sweeps in any case */
#define KEEP_GRACE 60   /* seconds a kept file is safe after it was last sent */

struct file_keep {
	struct server *server;
	struct event *tick;
	double last;     /* fd_clock_seconds() of the last complete sweep; 0: none yet */
	uint64_t pruned; /* store_pruned() then */
	unsigned removed;
};

/* @sha's path in the directory (filedir.h: FILES_DIR/ab/abcdef...). */
static void kept_path(struct server *s, const char *sha, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%.2s/%s", filedir_path(s->filedir), sha, sha);
}

/* Whether the kept file @sha, last sent @age seconds ago, is still needed: 1, 0, or < 0. */
static int needed(struct server *s, const char *sha, double age)
{
	unsigned max_age = s->config.history_max_age;

	if (age < KEEP_GRACE)
		return 1;
	if (s->cluster)
		return !max_age || age < max_age;
	return store_file_used(s->store, sha);
}

static int on_kept(const char *sha, uint64_t size, void *arg)
{
	struct file_keep *k = arg;
	struct server *s = k->server;
	char path[4200];
	struct stat sb;
	int r;

	kept_path(s, sha, path, sizeof(path));
	if (stat(path, &sb) < 0)
		return 0; /* gone meanwhile */
	r = needed(s, sha, difftime(time(NULL), sb.st_mtime));
	if (r < 0)
		return r; /* the store cannot say now: the whole sweep later */
	if (r == 0 && filedir_remove(s->filedir, sha) == 0) {
		log_info("files: %s (%llu bytes) removed: nothing refers to it any more", sha,
			 (unsigned long long)size);
		k->removed++;
	}
	return 0;
}

/* Whether a sweep is due now. */
static bool due(const struct file_keep *k, double now)
{
	struct server *s = k->server;
	double every = KEEP_HOUR;

	if (!k->last)
		return true;
	/* A cluster's only rule is age: looked at as often as the history's bound asks. */
	if (s->cluster && s->config.history_max_age && s->config.history_max_age < every)
		every = s->config.history_max_age < KEEP_GAP ? KEEP_GAP : s->config.history_max_age;
	if (now - k->last >= every)
		return true;
	return !s->cluster && store_pruned(s->store) != k->pruned && now - k->last >= KEEP_GAP;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval second = { 1, 0 };
	struct file_keep *k = arg;
	struct server *s = k->server;
	double now = fd_clock_seconds();
	uint64_t pruned = store_pruned(s->store);
	int r;

	if (due(k, now) && (s->cluster || store_kind(s->store) != STORE_OFF)) {
		k->removed = 0;
		r = filedir_each(s->filedir, on_kept, k);
		if (r != -EAGAIN) {
			k->last = now;
			k->pruned = pruned;
		}
		if (r < 0 && r != -EAGAIN)
			log_warnx("files: retention could not look at %s: %s",
				  filedir_path(s->filedir), strerror(-r));
		else if (k->removed)
			log_debug("files: retention removed %u file(s)", k->removed);
	}
	evtimer_add(k->tick, &second);
}

int file_keep_start(struct server *s)
{
	static const struct timeval now = { 0, 0 };
	struct file_keep *k;

	if (!s->filedir)
		return 0;
	if (!(k = calloc(1, sizeof(*k))) || !(k->tick = evtimer_new(s->base, on_tick, k))) {
		free(k);
		log_warnx("files: out of memory");
		return -ENOMEM;
	}
	k->server = s;
	s->file_keep = k;
	evtimer_add(k->tick, &now);
	return 0;
}

void file_keep_stop(struct server *s)
{
	if (!s->file_keep)
		return;
	event_free(s->file_keep->tick);
	free(s->file_keep);
	s->file_keep = NULL;
}

void file_keep_touch(struct server *s, const char *text, size_t len)
{
	char path[4200], sha[FILE_SHA_BUFSIZE];

	if (!s->filedir || len < FILE_SHA_HEX)
		return;
	snprintf(sha, sizeof(sha), "%.*s", FILE_SHA_HEX, text);
	kept_path(s, sha, path, sizeof(path));
	if (utimensat(AT_FDCWD, path, NULL, 0) < 0 && errno != ENOENT)
		log_warnx("files: %s could not be touched: %s", path, strerror(errno));
}
