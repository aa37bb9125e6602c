/* SPDX-License-Identifier: ISC */
/* print.c - conversations, messages and transfers as text or JSON (print.h). */
#include "print.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "when.h"

/* Text: a message's ID (or "held", "dropped") and time, then its sender and text. */
#define ID_WIDTH  8
#define MSG_LEAD  (ID_WIDTH + 1 + 19 + 2)
#define NAME_COLS 16

void print_init(struct printer *p, FILE *f, bool json)
{
	p->f = f;
	p->json = json;
	p->n = 0;
}

/* The copy of the text is what utf8_make_printable() works on in place. */
size_t print_safe(FILE *f, const char *s, size_t len)
{
	char stack[256], *buf = len <= sizeof(stack) ? stack : malloc(len);
	size_t chars = 0;

	if (!buf) {
		/* No memory for a copy: blanks say less, but nothing unsafe gets out. */
		for (size_t i = 0; i < len; i++)
			putc(' ', f);
		return len;
	}
	memcpy(buf, s, len);
	utf8_make_printable(buf, len);
	fwrite(buf, 1, len, f);
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)buf[i] & 0xc0) != 0x80;
	if (buf != stack)
		free(buf);
	return chars;
}

size_t print_cols(const char *s)
{
	size_t len = strlen(s), chars = 0;
	char *buf = strdup(s);

	if (!buf)
		return len; /* print_safe() writes a blank a byte then */
	utf8_make_printable(buf, len);
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)buf[i] & 0xc0) != 0x80;
	free(buf);
	return chars;
}

void print_padded(FILE *f, const char *s, size_t cols)
{
	size_t chars = print_safe(f, s, strlen(s));

	while (chars++ < cols)
		putc(' ', f);
}

void print_list_begin(struct printer *p)
{
	p->n = 0;
	if (p->json)
		putc('[', p->f);
}

void print_list_end(struct printer *p, const char *none)
{
	if (p->json)
		fputs(p->n ? "\n]\n" : "]\n", p->f);
	else if (!p->n && none)
		fprintf(p->f, "%s\n", none);
}

/* Before each item of a JSON list: the comma, and one item per line. */
static void json_item(struct printer *p)
{
	fputs(p->n ? ",\n  " : "\n  ", p->f);
}

/* "mary,john" (CONV_AGENTS) as a JSON array; [] for NULL. */
static void agents_json(FILE *f, const char *agents)
{
	const char *s = agents, *comma;

	putc('[', f);
	while (s) {
		comma = strchr(s, ',');
		json_string(f, s, comma ? (size_t)(comma - s) : strlen(s));
		if (comma)
			fputs(", ", f);
		s = comma ? comma + 1 : NULL;
	}
	putc(']', f);
}

/* "mary,john" as "mary, john" on @f, made safe; "-" for NULL. */
static void agents_text(FILE *f, const char *agents)
{
	const char *s = agents ? agents : "-", *comma;

	while ((comma = strchr(s, ','))) {
		print_safe(f, s, (size_t)(comma - s));
		fputs(", ", f);
		s = comma + 1;
	}
	print_safe(f, s, strlen(s));
}

/* The fields of a conversation, inside its JSON object. */
static void conv_json_fields(FILE *f, const struct ctl_conv *c)
{
	fprintf(f, "\"conv\": %" PRId64 ", \"name\": \"c%" PRId64 "\", \"customer\": ", c->conv,
		c->conv);
	json_string_or_null(f, c->customer);
	fputs(", \"agent\": ", f);
	json_string_or_null(f, c->agent);
	fputs(", ", f);
	json_time(f, "started", c->started_ms, true);
	fputs(", ", f);
	json_time(f, "ended", c->ended_ms, c->ended);
	fputs(", \"end_reason\": ", f);
	json_string_or_null(f, c->end_reason);
	fprintf(f, ", \"open\": %s, \"for_next_agent\": %s, \"message_count\": %" PRId64,
		c->end_reason ? "false" : "true", c->for_next_agent ? "true" : "false", c->count);
	if (c->transfers >= 0)
		fprintf(f, ", \"transfer_count\": %" PRId64 ", \"agents\": ", c->transfers);
	else
		fputs(", \"transfer_count\": null, \"agents\": ", f);
	agents_json(f, c->agents);
}

void print_conv(struct printer *p, const struct ctl_conv *c)
{
	char name[24], started[WHEN_TEXT_LEN], ended[WHEN_TEXT_LEN] = "-";

	if (p->json) {
		json_item(p);
		putc('{', p->f);
		conv_json_fields(p->f, c);
		putc('}', p->f);
		p->n++;
		return;
	}
	if (!p->n++)
		fprintf(p->f, "%-*s %-19s  %-19s  %-8s %5s  %-*s  %s\n", ID_WIDTH, "CONV",
			"STARTED", "ENDED", "END", "MSGS", NAME_COLS, "CUSTOMER", "AGENT");
	snprintf(name, sizeof(name), "c%" PRId64, c->conv);
	when_text(c->started_ms, started);
	if (c->ended)
		when_text(c->ended_ms, ended);
	fprintf(p->f, "%-*s %-19s  %-19s  ", ID_WIDTH, name, started, ended);
	print_padded(p->f, c->end_reason ? c->end_reason : "open", 8);
	fprintf(p->f, " %5" PRId64 "  ", c->count);
	print_padded(p->f, c->customer, NAME_COLS);
	fputs("  ", p->f);
	/* Every agent that had it, in turn: one name unless it passed between agents. */
	agents_text(p->f, c->agents);
	putc('\n', p->f);
}

static void msg_json(struct printer *p, const struct ctl_msg *m)
{
	FILE *f = p->f;

	json_item(p);
	if (m->released)
		fprintf(f, "{\"id\": %" PRId64 ", ", m->id);
	else
		fputs("{\"id\": null, ", f);
	fprintf(f, "\"held\": %s, \"dropped\": %s, ", m->released ? "false" : "true",
		m->dropped ? "true" : "false");
	json_time(f, "time", m->time_ms, true);
	fputs(", \"sender\": ", f);
	json_string(f, m->sender, strlen(m->sender));
	fprintf(f,
		", \"from_agent\": %s, \"file\": %s, \"text\": ", m->from_agent ? "true" : "false",
		m->file ? "true" : "false");
	json_string(f, m->text, m->len);
	putc('}', f);
}

/* A file message's text "SHA256 SIZE TYPE NAME" as "[file] NAME (SIZE bytes, TYPE) sha256:SHA". */
static void file_text(FILE *f, const struct ctl_msg *m)
{
	char sha[65], type[128];
	unsigned long long size;
	int n = 0;

	if (sscanf(m->text, "%64s %llu %127s %n", sha, &size, type, &n) != 3 || !n) {
		print_safe(f, m->text, m->len); /* not as the daemon writes it: as it is */
		return;
	}
	fputs("[file] ", f);
	print_safe(f, m->text + n, m->len - (size_t)n);
	fprintf(f, " (%llu bytes, ", size);
	print_safe(f, type, strlen(type));
	fputs(") sha256:", f);
	print_safe(f, sha, strlen(sha));
}

/* "17       2026-11-29 10:00:03  bob: text", further lines of the text indented under it. */
static void msg_text(struct printer *p, const struct ctl_msg *m)
{
	const char *s = m->text, *end = m->text + m->len, *nl;
	char id[24], t[WHEN_TEXT_LEN];

	if (m->dropped)
		snprintf(id, sizeof(id), "dropped");
	else if (!m->released)
		snprintf(id, sizeof(id), "held");
	else
		snprintf(id, sizeof(id), "%" PRId64, m->id);
	when_text(m->time_ms, t);
	fprintf(p->f, "%-*s %s  ", ID_WIDTH, id, t);
	print_safe(p->f, m->sender, strlen(m->sender));
	fputs(m->from_agent ? " (agent): " : ": ", p->f);
	if (m->file) {
		file_text(p->f, m);
		putc('\n', p->f);
		return;
	}
	for (;;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		print_safe(p->f, s, (size_t)((nl ? nl : end) - s));
		putc('\n', p->f);
		if (!nl)
			break;
		s = nl + 1;
		/* An empty line stays empty: no indent of trailing blanks. */
		if (s < end && *s != '\n')
			fprintf(p->f, "%*s", MSG_LEAD, "");
	}
}

void print_msg(struct printer *p, const struct ctl_msg *m)
{
	if (p->json)
		msg_json(p, m);
	else
		msg_text(p, m);
	p->n++;
}

void print_transcript_begin(struct printer *p, const struct ctl_conv *c)
{
	char t[WHEN_TEXT_LEN];
	FILE *f = p->f;

	if (p->json) {
		putc('{', f);
		conv_json_fields(f, c);
		fputs(", \"messages\": ", f);
		print_list_begin(p);
		return;
	}
	fprintf(f, "conversation  c%" PRId64 "\ncustomer      ", c->conv);
	print_safe(f, c->customer, strlen(c->customer));
	fputs("\nagent         ", f);
	print_safe(f, c->agent ? c->agent : "(none)", strlen(c->agent ? c->agent : "(none)"));
	when_text(c->started_ms, t);
	fprintf(f, "\nstarted       %s\nended         ", t);
	if (c->end_reason) {
		when_text(c->ended_ms, t);
		fprintf(f, "%s (", c->ended ? t : "?");
		print_safe(f, c->end_reason, strlen(c->end_reason));
		putc(')', f);
	} else {
		fputs("open", f);
	}
	/* Transfers not known (Redis): the agents, when more than one is known. */
	if (c->transfers > 0 || (c->transfers < 0 && c->agents && strchr(c->agents, ','))) {
		fputs("\nagents        ", f);
		agents_text(f, c->agents);
		if (c->transfers > 0)
			fprintf(f, " (%" PRId64 " transfer%s)", c->transfers,
				c->transfers == 1 ? "" : "s");
		else
			fputs(" (transfers unknown)", f);
	}
	fprintf(f, "\nmessages      %" PRId64 "%s\n\n", c->count,
		c->for_next_agent ? ", kept for the next agent" : "");
	print_list_begin(p);
}

void print_transcript_transfers(struct printer *p)
{
	if (!p->json)
		return;
	fputs(p->n ? "\n], \"transfers\": " : "], \"transfers\": ", p->f);
	print_list_begin(p);
}

/* An agent's name, or "the line" for NULL (no nickname holds a space: nick.h). */
static void put_agent(FILE *f, const char *name)
{
	if (name)
		print_safe(f, name, strlen(name));
	else
		fputs("the line", f);
}

void print_transfer(struct printer *p, const struct ctl_transfer *t)
{
	char when[WHEN_TEXT_LEN];
	FILE *f = p->f;

	if (p->json) {
		json_item(p);
		putc('{', f);
		json_time(f, "time", t->time_ms, true);
		fputs(", \"from\": ", f);
		json_string_or_null(f, t->from);
		fputs(", \"to\": ", f);
		json_string_or_null(f, t->to);
		fputs(", \"reason\": ", f);
		json_string(f, t->reason, strlen(t->reason));
		putc('}', f);
		p->n++;
		return;
	}
	/* "--" where a message has its ID: no ID is that, so the line cannot pass for one. */
	when_text(t->time_ms, when);
	fprintf(f, "%-*s %s  transferred from ", ID_WIDTH, "--", when);
	put_agent(f, t->from);
	fputs(" to ", f);
	put_agent(f, t->to);
	fputs(" (", f);
	print_safe(f, t->reason, strlen(t->reason));
	fputs(")\n", f);
}

void print_transcript_end(struct printer *p)
{
	if (p->json) {
		fputs(p->n ? "\n]}\n" : "]}\n", p->f);
		return;
	}
	print_list_end(p, "(no messages)");
}
