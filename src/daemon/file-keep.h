/* SPDX-License-Identifier: ISC */
/*
 * file-keep.h - retention of the files directory (issue 19): a kept file goes once nothing
 * refers to it any more (see file-keep.c for how that is known, alone and in a cluster).
 */
#ifndef FRONTDESK_FILE_KEEP_H
#define FRONTDESK_FILE_KEEP_H

#include <stddef.h>

struct server;

/* file_keep_start() - sweep once now (the next loop turn), then as retention goes on. */
int file_keep_start(struct server *s);
void file_keep_stop(struct server *s);
/*
 * file_keep_touch() - a file message (@text, "SHA256 SIZE TYPE NAME", @len bytes) was sent, or
 * its message is being stored now: its file's age starts again (file-keep.c's grace).
 */
void file_keep_touch(struct server *s, const char *text, size_t len);

#endif
