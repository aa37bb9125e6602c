/* SPDX-License-Identifier: ISC */
/*
 * fuzz-payload.c - libFuzzer harness for the cluster's payloads (cluster-read.c).
 *
 * A payload comes from Redis (the channel, or the stream while catching up), written by the
 * nodes' script; a damaged one (a bug, a hand-edited key, another program on the channel) must
 * be refused or delivered with every field within it, never read past. What is checked: a
 * payload parsed has its text running to the end of the input and its nicknames inside it;
 * IDs delivered only go up, and a message is never delivered without one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <frontdesk/frame.h>

#include "cluster-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t last_delivered;

/* Messages always have an ID; a desk's event has one too (a room's control or notice: 0). */
static bool has_id(const struct bus_msg *m)
{
	return m->id || m->kind == BUS_MESSAGE || m->kind == BUS_PRIVATE || m->kind == BUS_DESK;
}

static void on_deliver(void *arg, const struct bus_msg *m)
{
	if (has_id(m) && m->id <= last_delivered)
		abort();
	if (has_id(m))
		last_delivered = m->id;
	if (strlen(m->from) > FD_FRAME_BODY_BUFSIZE || strlen(m->to) > FD_FRAME_BODY_BUFSIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cluster cl = { .hooks = { .deliver = on_deliver }, .node = "a", .inc = "00" };
	char *copy = malloc(size + 1);
	struct bus_msg m;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	/* An empty FROM or TO ("-") is the literal "", anything else a word of the copy. */
	if (read_payload(&cl, copy, size, &m) == 0 &&
	    (m.text < copy || m.text + m.len != copy + size ||
	     (*m.from && (m.from < copy || m.from >= copy + size)) ||
	     (*m.to && (m.to < copy || m.to >= copy + size))))
		abort();
	free(copy);
	read_deliver(&cl, (const char *)data, size); /* the copy it makes, and its dedupe */
	return 0;
}
