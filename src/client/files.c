/* SPDX-License-Identifier: ISC */
/*
 * files.c - files on the client's side (issue 19): the server's grant ("files MAX CHUNK"), the
 * notices and the data frames (type 6, "TAG BYTES", not UTF-8) handed to the upload or the
 * download they belong to, progress lines, and the end of every transfer with the connection.
 *
 * Notices about files are taken before notice_parse(): a file's name may hold spaces and
 * "--", which the notice grammar would split. Errors about a transfer ("error file-gone TAG
 * -- text") leave the connection open: they are answered here and never judged as the end.
 */
#include "files-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fileproto.h"

/* Progress lines: at least this many seconds apart, and one at least this often. */
#define PROGRESS_GAP   2.0
#define PROGRESS_QUIET 30.0

int files_new(struct files **ret)
{
	struct files *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < FILES_OPEN_MAX; i++) {
		f->up[i].fd = -1;
		f->down[i].file.fd = -1;
	}
	*ret = f;
	return 0;
}

void files_free(struct files *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < FILES_OPEN_MAX; i++) {
		upload_close(&f->up[i]);
		download_close(&f->down[i]);
	}
	free(f);
}

static void note_v(struct session *s, struct session_file_note *note, const char *fmt, va_list ap)
{
	char words[1024];

	vsnprintf(words, sizeof(words), fmt, ap);
	note->words = words;
	if (s->ops->file)
		s->ops->file(s->ui, note);
	note->words = NULL; /* @words goes now */
}

void files_note(struct session *s, enum session_file_kind kind, const char *who, const char *fmt,
		...)
{
	struct session_file_note note = { .kind = kind, .who = who };
	va_list ap;

	va_start(ap, fmt);
	note_v(s, &note, fmt, ap);
	va_end(ap);
}

void files_note_upload(struct session *s, enum session_file_kind kind, const char *who,
		       const char *fmt, ...)
{
	struct session_file_note note = { .kind = kind, .who = who, .upload = true };
	va_list ap;

	va_start(ap, fmt);
	note_v(s, &note, fmt, ap);
	va_end(ap);
}

const char *files_bytes(unsigned long long n, char *buf)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", n), j = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = '\0';
	return buf;
}

void files_progress(struct session *s, struct progress *p, const char *verb, const char *name,
		    const char *who)
{
	double now = fd_clock_seconds();
	char done[32], size[32];
	int pct;

	if (p->size <= FILES_PROGRESS_MIN || p->done >= p->size)
		return; /* a small file, or done: the result line says it */
	pct = (int)(p->done * 100 / p->size);
	/*
	 * Every quarter at most, and not twice within PROGRESS_GAP seconds: a few lines are
	 * enough on a fast link (a 5 MiB file gave 9 at every 10 %); a slow one still shows
	 * life every PROGRESS_QUIET seconds.
	 */
	if (!(pct >= p->shown_pct + 25 &&
	      (p->shown_pct == 0 || now - p->shown_at >= PROGRESS_GAP)) &&
	    now - p->shown_at < PROGRESS_QUIET)
		return;
	p->shown_pct = pct;
	p->shown_at = now;
	files_note(s, SESSION_FILE_PROGRESS, who, "%s %s: %d%% (%s of %s bytes)", verb, name, pct,
		   files_bytes(p->done, done), files_bytes(p->size, size));
}

void files_tag(struct files *f, char kind, char *tag)
{
	snprintf(tag, FILE_TAG_MAX + 1, "%c%u", kind, ++f->next_tag);
}

/* "files MAX CHUNK": the grant, with the largest file and the most data bytes per frame. */
static void granted(struct session *s, const struct notice *n)
{
	struct files *f = s->files;
	unsigned long long max = strtoull(n->args[0], NULL, 10);
	unsigned long chunk = strtoul(n->args[1], NULL, 10);
	/* Our own frames carry the tag, a space and the bytes: the chunk must leave room. */
	size_t room = FD_FRAME_MAX_BODY - FILE_TAG_MAX - 1;

	f->granted = true;
	f->pending = false;
	f->max_size = max;
	f->chunk = chunk == 0 || chunk > room ? room : chunk;
	if (s->ops->drained)
		s->ops->drained(s->ui); /* a /send that waited for this may go */
}

void files_caps(struct session *s, bool listed)
{
	s->files->pending = listed;
	if (!listed && s->ops->drained)
		s->ops->drained(s->ui); /* a /send that waited may go, to be refused */
}

bool session_files_settled(const struct session *s)
{
	return !s->caps_pending && !s->files->pending;
}

/* The words for a transfer's error code. */
static const char *error_words(const char *code)
{
	static const struct {
		const char *code, *words;
	} table[] = {
		{ "file-too-large", "larger than the server takes" },
		{ "files-full", "the server has no room for files now" },
		{ "file-bad", "the server refused the transfer" },
		{ "file-corrupt", "it reached the server damaged (was it changed while sent?)" },
		{ "file-timeout", "the server waited too long for its bytes" },
		{ "file-unknown", "the server did not know the transfer" },
		{ "file-gone", "the server no longer keeps it" },
		{ "no-customer", "no such customer of yours" },
		{ "store-unavailable", "the server's store is unavailable" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].words;
	return NULL;
}

/*
 * "error CODE TAG [-- text]" about one of our transfers; also a file error naming no transfer
 * of ours (that one is only said). False for any other error.
 */
static bool transfer_error(struct session *s, const struct notice *n)
{
	const char *words = error_words(n->args[0]), *tag = n->nargs > 1 ? n->args[1] : "";
	struct upload *u = upload_find(s->files, tag);
	struct download *d = download_find(s->files, tag);
	char text[512];

	if (!words || (!u && !d && strncmp(n->args[0], "file", 4) != 0))
		return false; /* "no-customer" about a message, as before */
	snprintf(text, sizeof(text), "%s%s%s%s", words, n->text ? " (" : "", n->text ? n->text : "",
		 n->text ? ")" : "");
	if (u)
		upload_failed(s, u, text);
	else if (d)
		download_failed(s, d, text);
	else
		files_note(s, SESSION_FILE_ERROR, NULL, "A file transfer failed: %s", text);
	return true;
}

/* The notices of the file protocol, once parsed. */
static bool parsed_notice(struct session *s, const struct notice *n)
{
	struct files *f = s->files;
	const char *tag = n->nargs > 0 ? n->args[0] : "";

	if (notice_is(n, "files", 2))
		granted(s, n);
	else if (notice_is(n, "file-go", 1) && upload_find(f, tag))
		upload_go(s, upload_find(f, tag));
	else if (notice_is(n, "file-done", 1) && upload_find(f, tag))
		upload_done(s, upload_find(f, tag));
	else if (notice_is(n, "file-start", 2) && download_find(f, tag))
		download_start(s, download_find(f, tag), n->args[1]);
	else if (notice_is(n, "file-end", 1) && download_find(f, tag))
		download_end(s, download_find(f, tag));
	else if (notice_is(n, "error", 1))
		return transfer_error(s, n);
	else
		/* One of ours for a transfer we gave up: nothing is waiting for it. */
		return notice_is(n, "file-go", 0) || notice_is(n, "file-done", 0) ||
		       notice_is(n, "file-start", 0) || notice_is(n, "file-end", 0);
	return true;
}

bool files_notice(struct session *s, char *body)
{
	char copy[FD_FRAME_BODY_BUFSIZE];
	struct notice n;

	if (strncmp(body, "file ", 5) == 0) {
		s->notices = true;
		download_offered(s, body);
		return true;
	}
	if (strncmp(body, "file", 4) != 0 && strncmp(body, "error file", 10) != 0 &&
	    strncmp(body, "error no-customer ", 18) != 0 &&
	    strncmp(body, "error store-unavailable ", 24) != 0)
		return false;
	/* Parsed on a copy: a notice that is not ours goes on to incoming_notice() intact. */
	snprintf(copy, sizeof(copy), "%s", body);
	if (notice_parse(copy, &n) < 0 || !parsed_notice(s, &n))
		return false;
	s->notices = true;
	return true;
}

void files_data(struct session *s, const char *body, size_t len)
{
	char tag[FILE_TAG_BUFSIZE];
	struct download *d;
	const char *bytes;
	size_t n;

	if (!s->files->granted || file_data_split(body, len, tag, &bytes, &n) < 0) {
		session_protocol_error(s, !s->files->granted ? "a data frame without \"files\""
							     : "a data frame without its tag");
		return;
	}
	/* Bytes for a download we gave up on are dropped: they were on their way. */
	d = download_find(s->files, tag);
	if (d)
		download_data(s, d, bytes, n);
}

bool session_files_sending(const struct session *s)
{
	for (size_t i = 0; i < FILES_OPEN_MAX; i++)
		if (s->files->up[i].open)
			return true;
	return false;
}

bool session_files_busy(const struct session *s)
{
	for (size_t i = 0; i < FILES_OPEN_MAX; i++)
		if (s->files->down[i].open)
			return true;
	return session_files_sending(s) || s->files->nwaiting > 0;
}

void files_lost(struct session *s, bool tell)
{
	struct files *f = s->files;

	f->nwaiting = 0; /* listed: "/get N" fetches them on the next connection */
	for (size_t i = 0; i < FILES_OPEN_MAX; i++) {
		if (f->up[i].open && tell)
			upload_failed(s, &f->up[i], "the connection was lost");
		upload_close(&f->up[i]);
		if (f->down[i].open && tell)
			download_failed(s, &f->down[i], "the connection was lost");
		download_close(&f->down[i]);
	}
	f->granted = false;
	f->pending = false;
}
