/* SPDX-License-Identifier: ISC */
/*
 * files.c - a conn's transfers (files.h): the directory at start, the "files" capability and
 * notice, the transfer slots, file-cancel, and the end of a conn.
 */
#include "files.h"
#include "files-priv.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server.h"

/* Seconds between two warnings that the files directory is full. */
#define FILES_WARN_GAP 60.0

/* The default place: "files" beside the SQLite store; NULL (a private one) without one. */
static const char *default_dir(const struct config *cfg, char *buf, size_t len)
{
	const char *slash = strrchr(cfg->store_path, '/');

	if (cfg->files_dir[0])
		return cfg->files_dir;
	if (cfg->store != CONFIG_STORE_SQLITE || !slash)
		return NULL;
	snprintf(buf, len, "%.*s/files", (int)(slash - cfg->store_path), cfg->store_path);
	return buf;
}

int files_start(struct server *s)
{
	const struct config *cfg = &s->config;
	char buf[PATH_MAX], tmp[80] = "tmp";
	const char *path, *why;
	int r;

	if (!cfg->files)
		return 0;
	path = default_dir(cfg, buf, sizeof(buf));
	/* A directory every node shares: each node cleans only its own uploads at start. */
	if (cfg->cluster)
		snprintf(tmp, sizeof(tmp), "tmp-%s", cfg->node_name);
	r = filedir_open(path, tmp, cfg->files_max_bytes, &s->filedir, &why);
	if (r < 0) {
		log_warnx("files: %s %s: %s (files = off turns files off)", why,
			  path ? path : "under $TMPDIR", strerror(-r));
		return r;
	}
	if (cfg->cluster && !cfg->files_dir[0])
		log_warnx("files: %s is this node's own: set files_dir to a directory every node "
			  "shares, or a file sent on another node is file-gone here",
			  filedir_path(s->filedir));
	log_info("files: %s (%llu of %llu bytes used)", filedir_path(s->filedir),
		 (unsigned long long)filedir_used(s->filedir),
		 (unsigned long long)cfg->files_max_bytes);
	return 0;
}

void files_stop(struct server *s)
{
	filedir_close(s->filedir);
	s->filedir = NULL;
}

bool files_granted(const struct conn *c)
{
	return c->server->filedir && c->proto == PROTO_FRAMED;
}

void files_notice(struct conn *c)
{
	conn_notice(c, "files %u %u", c->server->config.max_file_size,
		    file_chunk(c->server->config.max_frame));
}

void files_full_warn(struct conn *c, const char *fmt, ...)
{
	static double last = -FILES_WARN_GAP;
	double now = fd_clock_seconds();
	char text[256];
	va_list ap;

	if (now - last < FILES_WARN_GAP)
		return;
	last = now;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warnx("files: %s (said at most once a minute)", text);
}

void files_up_ended(struct conn *c, enum stats_upload r)
{
	c->server->stats.files.up[r]++;
}

void files_down_ended(struct conn *c, enum stats_download r)
{
	c->server->stats.files.down[r]++;
}

struct filedir *files_dir(struct conn *c)
{
	return c->server->filedir;
}

static void on_files_timer(evutil_socket_t fd, short what, void *arg)
{
	file_up_expired(arg);
}

struct conn_files *files_of(struct conn *c)
{
	if (c->files)
		return c->files;
	c->files = calloc(1, sizeof(*c->files));
	if (!c->files)
		return NULL;
	c->files->timer = evtimer_new(c->server->base, on_files_timer, c);
	if (!c->files->timer) {
		free(c->files);
		c->files = NULL;
	}
	return c->files;
}

struct file_xfer *files_find(struct conn *c, const char *tag)
{
	for (int i = 0; c->files && i < FILES_PER_CONN; i++)
		if (c->files->x[i].open && strcmp(c->files->x[i].o.tag, tag) == 0)
			return &c->files->x[i];
	return NULL;
}

struct file_xfer *files_slot(struct conn *c, bool upload)
{
	struct conn_files *cf = files_of(c);
	struct file_xfer *free_one = NULL;
	int same = 0;

	for (int i = 0; cf && i < FILES_PER_CONN; i++) {
		if (!cf->x[i].open)
			free_one = free_one ? free_one : &cf->x[i];
		else
			same += cf->x[i].upload == upload;
	}
	return same < FILES_PER_DIR ? free_one : NULL;
}

void files_arm_timer(struct conn *c)
{
	struct timeval tv = { .tv_sec = c->server->config.file_timeout };

	if (!evtimer_pending(c->files->timer, NULL))
		evtimer_add(c->files->timer, &tv);
}

void files_drop(struct conn *c, struct file_xfer *x)
{
	if (!x->open)
		return;
	if (x->upload) {
		filedir_tmp_remove(files_dir(c), x->tmp);
		filedir_release(files_dir(c), x->o.size);
		EVP_MD_CTX_free(x->md);
	}
	if (x->fd >= 0)
		close(x->fd);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

void files_error(struct conn *c, const char *code, const char *tag, const char *fmt, ...)
{
	char code_tag[64], text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(code_tag, sizeof(code_tag), "%s%s%s", code, *tag ? " " : "", tag);
	conn_error(c, code_tag, "%s", text);
}

void files_conn_ended(struct conn *c)
{
	if (!c->files)
		return;
	for (int i = 0; i < FILES_PER_CONN; i++) {
		struct file_xfer *x = &c->files->x[i];

		if (x->open && x->upload)
			files_up_ended(c, STATS_UP_LOST);
		else if (x->open)
			files_down_ended(c, STATS_DOWN_LOST);
		files_drop(c, x);
	}
	event_free(c->files->timer);
	free(c->files);
	c->files = NULL;
}

/* file-cancel TAG: the transfer is dropped, with no answer; an unknown TAG is no error. */
void files_cmd_cancel(struct conn *c, const char *arg)
{
	char tag[FILE_TAG_BUFSIZE];
	struct file_xfer *x;

	if (!(c->caps & CAP_FILES)) {
		command_unknown(c, "file-cancel");
		return;
	}
	if (file_tag_sha_parse(arg, strlen(arg), tag, NULL) < 0) {
		files_error(c, "file-bad", tag, "file-cancel takes a TAG");
		return;
	}
	x = files_find(c, tag);
	if (x) {
		log_debug("%s (%s): file %s cancelled", c->peer, c->nick, tag);
		if (x->upload)
			files_up_ended(c, STATS_UP_CANCELLED);
		else
			files_down_ended(c, STATS_DOWN_CANCELLED);
		files_drop(c, x);
	}
}
