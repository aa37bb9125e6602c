/* SPDX-License-Identifier: ISC */
/*
 * download.c - files that reach us (issue 19). A "file ID TIME CONV FROM SHA256 SIZE TYPE NAME"
 * notice that arrives live, from someone else, is fetched at once ("file-get TAG SHA256"):
 * "file-start TAG SIZE TYPE", data frames, "file-end TAG"; the bytes go straight to disk
 * (savefile.h), and the file keeps its name only if its SHA-256 is the one announced.
 *
 * Every file named is listed with a number, so that "/get N" can fetch it: the only way for
 * a file in a history answer (history on join, /history: what was said before, perhaps saved
 * already), with --no-download, and in a room unless --auto-download: any member may send
 * 10 MiB files one after the other, and our disk is not theirs to fill. A resume's replay is
 * live: what we missed while away is fetched, what we saw already is not (its ID says so,
 * ids.h). Our own file is not fetched: we have it. Two downloads at a time (the server's bound); up
 * to FILES_WAITING more wait.
 */
#include "files-priv.h"

#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct download *download_find(struct files *f, const char *tag)
{
	for (size_t i = 0; i < FILES_OPEN_MAX; i++)
		if (f->down[i].open && strcmp(f->down[i].tag, tag) == 0)
			return &f->down[i];
	return NULL;
}

/* The customer a file came from, when the agent keeps a window for it; else NULL. */
static const char *who_of(struct session *s, const struct file_ref *r)
{
	return s->multi && session_find_conv(s, r->from) ? r->from : NULL;
}

/* Remember @r as the next "/get N". */
static void list_ref(struct files *f, struct file_ref *r)
{
	r->num = ++f->nlisted;
	f->listed[(r->num - 1) % FILES_LISTED] = *r;
}

static void tell_listed(struct session *s, const struct file_ref *r, const char *why)
{
	char size[32];

	files_note(s, SESSION_FILE_LISTED, who_of(s, r),
		   "%s%s sent %s (%s bytes): /get %u saves it", why, r->from, r->name,
		   files_bytes(r->size, size), r->num);
}

/* Start fetching @r, or let it wait for a free download. */
static void fetch(struct session *s, const struct file_ref *r)
{
	struct files *f = s->files;
	struct download *d = NULL;
	char get[128];
	int e;

	for (size_t i = 0; i < FILES_OPEN_MAX && !d; i++)
		d = f->down[i].open ? NULL : &f->down[i];
	if (!d) {
		if (f->nwaiting < FILES_WAITING)
			f->waiting[f->nwaiting++] = *r;
		else
			tell_listed(s, r, "Too many files at once: ");
		return;
	}
	e = savefile_open(&d->file, s->cfg.download_dir);
	if (e < 0) {
		files_note(s, SESSION_FILE_ERROR, who_of(s, r),
			   "Cannot save %s in %s: %s; /get %u tries again", r->name,
			   s->cfg.download_dir, strerror(-e), r->num);
		return;
	}
	*d = (struct download){ .open = true, .ref = *r, .size = r->size, .file = d->file };
	d->prog =
	    (struct progress){ .size = r->size, .shown_pct = 0, .shown_at = fd_clock_seconds() };
	files_tag(f, 'd', d->tag);
	snprintf(get, sizeof(get), "file-get %s %s", d->tag, r->sha);
	if (session_send_frame(s, FD_FRAME_COMMAND, get, strlen(get)) < 0)
		download_close(d);
}

/*
 * A download ended (kept or not): the next waiting one may start. One that cannot (its
 * temporary file refused, said with its "/get N") leaves the slot free: the one after it is
 * tried, or nothing would ever take the rest of the queue.
 */
static void next_waiting(struct session *s, struct download *d)
{
	struct files *f = s->files;
	struct file_ref r;

	download_close(d);
	while (f->nwaiting > 0 && s->state == SESSION_OPEN && !d->open) {
		r = f->waiting[0];
		memmove(f->waiting, f->waiting + 1, --f->nwaiting * sizeof(f->waiting[0]));
		fetch(s, &r);
	}
}

/* Split "ID TIME CONV FROM SHA256 SIZE TYPE NAME" (after "file ") into @w and the name. */
static bool split_offer(char *p, char *w[7], char **ret_name)
{
	for (int i = 0; i < 7; i++) {
		w[i] = p;
		p = strchr(p, ' ');
		if (!p || p == w[i])
			return false;
		*p++ = '\0';
	}
	*ret_name = p;
	return strlen(w[4]) == 64 && strspn(w[4], "0123456789abcdefABCDEF") == 64 &&
	       strspn(w[0], "0123456789") == strlen(w[0]) &&
	       strspn(w[5], "0123456789") == strlen(w[5]) && strlen(w[6]) < FILE_TYPE_BUFSIZE &&
	       strlen(w[3]) < SESSION_NICK_MAX;
}

void download_offered(struct session *s, char *body)
{
	struct file_ref r = { 0 };
	char *w[7], *name;
	bool history, mine;

	if (!split_offer(body + 5, w, &name)) {
		session_protocol_error(s, "a file notice that is not \"file ID TIME CONV FROM "
					  "SHA256 SIZE TYPE NAME\"");
		return;
	}
	if (!ids_fresh(&s->ids, strtoull(w[0], NULL, 10)))
		return; /* seen already: a resume's replay of what we had */
	history = s->ids.in_history;
	mine = strcmp(w[3], s->nick) == 0;
	/* A file takes no turn, so it is no answer either: the turn stays as it was. */
	if (!history && mine)
		return; /* our own, back to us: "sent" said it */
	for (size_t i = 0; i < 64; i++)
		r.sha[i] = (char)(w[4][i] | 0x20); /* hex digits: lower case */
	r.size = strtoull(w[5], NULL, 10);
	snprintf(r.type, sizeof(r.type), "%s", w[6]);
	snprintf(r.from, sizeof(r.from), "%s", w[3]);
	savefile_clean_name(name, r.name);
	list_ref(s->files, &r);
	if (history)
		tell_listed(s, &r, "Earlier: ");
	else if (s->cfg.no_download || (session_group(s) && !s->cfg.auto_download))
		tell_listed(s, &r, "");
	else
		fetch(s, &r);
}

void download_start(struct session *s, struct download *d, const char *size)
{
	d->started = true;
	d->size = strtoull(size, NULL, 10);
	d->prog.size = d->size;
}

void download_data(struct session *s, struct download *d, const char *bytes, size_t len)
{
	int e;

	if (d->file.size + len > d->size) {
		download_failed(s, d, "more bytes came than announced");
		return;
	}
	e = savefile_write(&d->file, bytes, len);
	if (e < 0) {
		download_failed(s, d, strerror(-e));
		return;
	}
	d->prog.done = d->file.size;
	files_progress(s, &d->prog, "receiving", d->ref.name, who_of(s, &d->ref));
}

void download_end(struct session *s, struct download *d)
{
	char shown[SAVEFILE_SHOWN_MAX], size[32],
	    where[SAVEFILE_PATH_MAX + SAVEFILE_SHOWN_MAX] = "";
	struct file_ref r = d->ref;
	unsigned long long bytes = d->size;
	int e;

	if (d->file.size != d->size) {
		download_failed(s, d, "fewer bytes came than announced");
		return;
	}
	e = savefile_keep(&d->file, r.sha, r.name, shown);
	/* Where it is, so that it can be opened: the folder is nowhere else on screen. */
	if (e == 0)
		savefile_shown_path(s->cfg.download_dir, shown, where, sizeof(where));
	/* Said once closed: a front end waiting for the downloads to end may go on from file(). */
	next_waiting(s, d);
	if (e == -EBADMSG)
		files_note(s, SESSION_FILE_RESULT, who_of(s, &r), "%s: sha256 mismatch, not kept",
			   r.name);
	else if (e < 0)
		files_note(s, SESSION_FILE_ERROR, who_of(s, &r), "Cannot keep %s in %s: %s", r.name,
			   s->cfg.download_dir, strerror(-e));
	else
		files_note(s, SESSION_FILE_RESULT, who_of(s, &r),
			   "received %s from %s (%s bytes, sha256 ok): %s", shown, r.from,
			   files_bytes(bytes, size), where);
}

void download_failed(struct session *s, struct download *d, const char *words)
{
	char cancel[32 + FILE_TAG_MAX], said[512];
	struct file_ref r = d->ref;

	snprintf(cancel, sizeof(cancel), "file-cancel %s", d->tag);
	session_send_frame(s, FD_FRAME_COMMAND, cancel, strlen(cancel));
	snprintf(said, sizeof(said), "%s", words); /* @words may be the server's, in its body */
	next_waiting(s, d);
	files_note(s, SESSION_FILE_ERROR, who_of(s, &r), "%s not received: %s; /get %u tries again",
		   r.name, said, r.num);
}

void download_close(struct download *d)
{
	savefile_abort(&d->file);
	*d = (struct download){ .file = { .fd = -1 } };
}

int session_get_file(struct session *s, unsigned num, char *err, size_t len)
{
	struct files *f = s->files;

	if (num == 0 || num > f->nlisted || f->nlisted - num >= FILES_LISTED) {
		snprintf(err, len, "No file %u: /get takes the number of a file listed lately",
			 num);
		return -ENOENT;
	}
	if (s->state != SESSION_OPEN || !f->granted) {
		snprintf(err, len, "%s",
			 s->state != SESSION_OPEN ? "Not connected" : "This server has no files");
		return -ENOTCONN;
	}
	fetch(s, &f->listed[(num - 1) % FILES_LISTED]);
	return 0;
}
