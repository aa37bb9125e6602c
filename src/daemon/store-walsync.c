/* SPDX-License-Identifier: ISC */
/*
 * store-walsync.c - the WAL written to disk as it grows, off the event loop (see
 * store-sqlite-priv.h).
 *
 * With synchronous = NORMAL a commit only writes the WAL (the page cache); SQLite's automatic
 * checkpoint, inside the commit that passes 1,000 pages, first has fdatasync() put all of it
 * on disk, about 4 MiB at a time: 4 to 8 ms on the loop every few hundred messages, felt by
 * every peer waiting on that loop turn (d-100's and the desk's p99, issue 20). Here a thread
 * fdatasync()s the WAL each time WALSYNC_PAGES more were committed, and the checkpoint (still
 * SQLite's PASSIVE one, on the loop's connection, which starts the WAL over) waits until the
 * thread rests with little unsynced: its own fdatasync() of the WAL then finds almost nothing
 * to write, nor a sync of the thread's in progress to wait for. A checkpoint run by a thread
 * does not do: it never moves all of a WAL that commits keep growing, and SQLite starts the
 * WAL over only after one that did, so the loop synced as much as before.
 *
 * Durability is SQLite's own: the thread only syncs earlier, never less. The thread's
 * descriptor is its own, opened read-only on the -wal file, which the loop's connection keeps
 * (the same inode) as long as the store is open; SQLite holds no lock on that file, so closing
 * it releases none of SQLite's.
 */
#include "store-sqlite.h"
#include "store-sqlite-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* SQLite's default automatic checkpoint (PRAGMA wal_autocheckpoint), kept. */
#define CKPT_PAGES 1000
/* The thread syncs each time this many pages (4 KiB each) were committed: 512 KiB. */
#define WALSYNC_PAGES 128
/* A checkpoint waits for the thread until at most this many pages are left for it to sync. */
#define WALSYNC_SLACK 16
/* Should the thread fall behind (a slow disk), the loop checkpoints anyway: a bounded WAL. */
#define CKPT_HARD_PAGES (2 * CKPT_PAGES)
/* It only waits and calls fdatasync(): a small stack will do. */
#define WALSYNC_STACK (64 * 1024)

struct sql_walsync {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int fd;    /* the -wal file, the thread's own descriptor */
	int mark;  /* the WAL's length in pages when the thread was last woken */
	bool due;  /* pages were committed since: the thread syncs */
	bool busy; /* the thread is in fdatasync() */
	bool stop; /* the store closes */
};

static void *walsync_main(void *arg)
{
	struct sql_walsync *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->due && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		w->due = false;
		w->busy = true;
		pthread_mutex_unlock(&w->lock);
		/* A failure is SQLite's to see in its own sync: here it only costs time. */
		(void)fdatasync(w->fd);
		pthread_mutex_lock(&w->lock);
		w->busy = false;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * After each commit on the loop's connection, with the WAL's length in pages: wake the thread
 * every WALSYNC_PAGES (a pthread_cond_signal(), no wait), and checkpoint in place of SQLite's
 * wal_autocheckpoint, which this hook replaces: from CKPT_PAGES on, once the thread rests with
 * at most WALSYNC_SLACK pages unsynced (a sync the thread is in would hold up the loop's own).
 * Until then the commits go on as usual; at CKPT_HARD_PAGES the loop does not wait.
 */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sql_walsync *w = arg;
	int most = pages >= CKPT_PAGES ? WALSYNC_SLACK : WALSYNC_PAGES - 1;
	bool idle, checkpoint;

	pthread_mutex_lock(&w->lock);
	if (pages < w->mark)
		w->mark = 0; /* the WAL started over: none of the new pages is known synced */
	idle = !w->due && !w->busy;
	if (idle && pages - w->mark > most) {
		w->mark = pages;
		w->due = true;
		idle = false;
		pthread_cond_signal(&w->wake);
	}
	checkpoint = pages >= CKPT_HARD_PAGES || (pages >= CKPT_PAGES && idle);
	pthread_mutex_unlock(&w->lock);
	if (checkpoint)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* The thread, with every signal blocked: libevent handles them on the loop's thread. */
static int walsync_spawn(struct sql_walsync *w)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WALSYNC_STACK);
	r = pthread_create(&w->thread, &attr, walsync_main, w);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

void sql_walsync_start(struct sql *q, const char *path)
{
	struct sql_walsync *w = calloc(1, sizeof(*w));
	char wal[4096];
	int r = -ENOMEM;

	if (w)
		w->fd = -1;
	if (w && snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal)) {
		w->fd = open(wal, O_RDONLY | O_CLOEXEC);
		r = w->fd < 0 ? -errno : 0;
	}
	if (r == 0) {
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->wake, NULL);
		if ((r = walsync_spawn(w)) < 0) {
			pthread_cond_destroy(&w->wake);
			pthread_mutex_destroy(&w->lock);
		}
	}
	if (r < 0) {
		/* SQLite's own checkpoints as before: slower turns now and then, nothing lost. */
		log_warnx("store %s: the WAL is synced on the loop (%s)", path, strerror(-r));
		if (w && w->fd >= 0)
			close(w->fd);
		free(w);
		return;
	}
	q->walsync = w;
	sqlite3_wal_hook(q->db, on_wal_commit, w);
}

void sql_walsync_stop(struct sql *q)
{
	struct sql_walsync *w = q->walsync;

	if (!w)
		return;
	sqlite3_wal_hook(q->db, NULL, NULL);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	close(w->fd);
	free(w);
	q->walsync = NULL;
}
