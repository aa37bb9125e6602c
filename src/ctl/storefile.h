/* SPDX-License-Identifier: ISC */
/*
 * storefile.h - the store's file, found and opened beside the running daemon.
 *
 * Where it is: --store sqlite:PATH, else the daemon's own configuration (-c FILE, or the
 * default file, or the built-in defaults when that is missing), read with config.c so that
 * frontdeskctl looks exactly where frontdeskd writes. It is opened without SQLITE_OPEN_CREATE,
 * so a wrong path never leaves an empty database behind; read-only for reading; with a busy
 * timeout, because the daemon commits to it (WAL) all the while. Its PRAGMA user_version must
 * be the schema this frontdeskctl was built with (store-schema.h).
 */
#ifndef FRONTDESK_CTL_STOREFILE_H
#define FRONTDESK_CTL_STOREFILE_H

#include <limits.h>

#include <sqlite3.h>

#include "ctl.h"

enum ctl_access {
	CTL_READ,
	CTL_WRITE,
};

struct storefile {
	sqlite3 *db;
	char path[PATH_MAX];
};

/*
 * storefile_open() - find the store and open it for @access. Writing as root means becoming
 * the file's owner first, for good (the files SQLite creates beside it must stay the daemon's).
 *
 * Return: 0, or -1 once the reason is printed.
 */
int storefile_open(struct storefile *sf, const struct ctl *c, enum ctl_access access);
void storefile_close(struct storefile *sf);

/* storefile_error() - "frontdeskctl: PATH: WHAT: SQLite's message"; returns CTL_ERROR. */
int storefile_error(const struct storefile *sf, const char *what);

#endif
