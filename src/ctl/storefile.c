/* SPDX-License-Identifier: ISC */
/* storefile.c - finding and opening the store beside the running daemon (storefile.h). */
#include "storefile.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "config.h"
#include "store-schema.h"

/* The daemon holds its write lock for one transaction of one loop turn: milliseconds. */
#define BUSY_TIMEOUT_MS 5000

/* The store's path from the daemon's configuration (config.c, as frontdeskd reads it). */
static int path_from_config(const struct ctl *c, char *path, size_t len)
{
	struct config cfg;
	const char *file;

	if (ctl_config(c, &cfg, &file) < 0) {
		ctl_error("no store without a valid configuration (or --store sqlite:PATH)");
		return -1;
	}
	switch (cfg.store) {
	case CONFIG_STORE_OFF:
		ctl_error(
		    "%s: store = off: the daemon keeps nothing, there is nothing on disk to read",
		    file);
		return -1;
	case CONFIG_STORE_MEMORY:
		ctl_error(
		    "%s: store = memory: the daemon keeps its history in its own memory, there "
		    "is nothing on disk to read",
		    file);
		return -1;
	case CONFIG_STORE_SQLITE:
		break;
	}
	snprintf(path, len, "%s", cfg.store_path);
	return 0;
}

static int locate(const struct ctl *c, char *path, size_t len)
{
	/* main.c took only "sqlite:" and something after it. */
	if (c->store) {
		if (strlen(c->store + 7) >= len) {
			ctl_error("--store: the path is too long");
			return -1;
		}
		snprintf(path, len, "%s", c->store + 7);
		return 0;
	}
	return path_from_config(c, path, len);
}

static const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : "?";
}

/*
 * Writing can create the -wal and -shm files beside the store (or a rollback journal). Root's
 * would belong to root, and the daemon, running as its own user, could no longer open the
 * store: so root becomes the file's owner before opening it, for good (no way back to root
 * that a bug could take). Anyone else must own the file: another user with write access
 * through a group would leave files of theirs behind just the same.
 */
static int become_owner(const struct storefile *sf, const struct stat *st)
{
	uid_t me = geteuid();

	if (me == st->st_uid)
		return 0;
	if (me != 0) {
		ctl_error("%s belongs to %s (uid %u): run this as root or as that user", sf->path,
			  user_name(st->st_uid), (unsigned)st->st_uid);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(st->st_gid) < 0 || setuid(st->st_uid) < 0) {
		ctl_error("cannot become %s (uid %u), the owner of %s: %s", user_name(st->st_uid),
			  (unsigned)st->st_uid, sf->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Why the store cannot be used, in words that say what to do. */
static void explain(const struct storefile *sf, enum ctl_access access)
{
	int code = sqlite3_extended_errcode(sf->db);
	const char *msg = sqlite3_errmsg(sf->db);

	if (code == SQLITE_NOTADB) {
		ctl_error("%s is not an SQLite database", sf->path);
	} else if (access == CTL_READ &&
		   ((code & 0xff) == SQLITE_CANTOPEN || (code & 0xff) == SQLITE_READONLY)) {
		/* SQLite's read-only WAL reader (wal.html, "Read-Only Databases"). */
		ctl_error(
		    "cannot read %s: %s; a store in WAL mode can be read only when its -wal and "
		    "-shm files exist (they do while frontdeskd runs) or its directory is "
		    "writable: run this as root or as the daemon's user",
		    sf->path, msg);
	} else if (access == CTL_WRITE) {
		ctl_error("cannot open %s for writing as %s: %s", sf->path, user_name(geteuid()),
			  msg);
	} else {
		ctl_error("cannot read %s: %s", sf->path, msg);
	}
}

/* PRAGMA user_version: only the schema this frontdeskctl knows is read, or written. */
static int check_version(const struct storefile *sf, enum ctl_access access)
{
	sqlite3_stmt *st = NULL;
	int r, v;

	r = sqlite3_prepare_v2(sf->db, "PRAGMA user_version", -1, &st, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		explain(sf, access);
		sqlite3_finalize(st);
		return -1;
	}
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v == 0)
		ctl_error(
		    "%s holds no frontdesk store yet: frontdeskd sets it up when it first starts "
		    "with store = sqlite:%s",
		    sf->path, sf->path);
	else if (v > STORE_SCHEMA_VERSION)
		ctl_error("%s was written by a newer frontdesk (store schema version %d; this "
			  "frontdeskctl knows version %d): use the frontdeskctl of that version",
			  sf->path, v, STORE_SCHEMA_VERSION);
	else
		ctl_error("%s has the older store schema version %d: start frontdeskd %s once, it "
			  "brings the store to version %d",
			  sf->path, v, FRONTDESK_VERSION, STORE_SCHEMA_VERSION);
	return -1;
}

int storefile_open(struct storefile *sf, const struct ctl *c, enum ctl_access access)
{
	int flags = access == CTL_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	struct stat st;

	sf->db = NULL;
	if (locate(c, sf->path, sizeof(sf->path)) < 0)
		return -1;
	if (stat(sf->path, &st) < 0) {
		if (errno == ENOENT)
			ctl_error(
			    "there is no store at %s yet: frontdeskd creates it when it first "
			    "starts with store = sqlite:%s",
			    sf->path, sf->path);
		else
			ctl_error("%s: %s", sf->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		ctl_error("%s is not a file", sf->path);
		return -1;
	}
	/*
	 * Reading stays root: a reader may have to create the -wal and -shm files too (when the
	 * daemon is not running), but SQLite's unix VFS gives the files it creates as root to the
	 * database file's owner, and a read-only connection changes nothing else.
	 */
	if (access == CTL_WRITE && become_owner(sf, &st) < 0)
		return -1;
	/* No SQLITE_OPEN_CREATE: a wrong path must not leave an empty database behind. */
	if (sqlite3_open_v2(sf->path, &sf->db, flags, NULL) != SQLITE_OK) {
		explain(sf, access);
		storefile_close(sf);
		return -1;
	}
	sqlite3_extended_result_codes(sf->db, 1);
	sqlite3_busy_timeout(sf->db, BUSY_TIMEOUT_MS);
	if (check_version(sf, access) < 0) {
		storefile_close(sf);
		return -1;
	}
	return 0;
}

void storefile_close(struct storefile *sf)
{
	sqlite3_close(sf->db);
	sf->db = NULL;
}

int storefile_error(const struct storefile *sf, const char *what)
{
	ctl_error("%s: %s: %s", sf->path, what, sqlite3_errmsg(sf->db));
	return CTL_ERROR;
}
