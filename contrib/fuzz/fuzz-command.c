/* SPDX-License-Identifier: ISC */
/*
 * fuzz-command.c - libFuzzer harness for the arguments of "caps WORD...", "history [N]
 * [before ID]" and "resume TOKEN LAST_ID", the wave-2 commands whose argument is more than a
 * name.
 *
 * The first input byte chooses the parser (bit 0: history, else bit 4: resume, else caps) and,
 * for caps, what the server offers (bits 1-3, and 5 for "agent"); the rest is the argument, as
 * command_run() or the handshake passes it (NUL-terminated, no NUL inside).
 * caps must grant exactly the offered capabilities that appear as whole space-separated words.
 * history must accept only what it can write back: an accepted argument has 1 <= N <=
 * HISTORY_MAX, and "N before ID" (or "N") formatted from the result parses to the same values.
 * resume must accept only a token of SESSION_TOKEN_LEN characters without a space and an ID up
 * to INT64_MAX, and "TOKEN ID" formatted from the result parses to the same values.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "conn.h"
#include "history.h"
#include "resume.h"

static void check_resume(const char *arg)
{
	char token[SESSION_TOKEN_LEN + 1], token2[SESSION_TOKEN_LEN + 1], again[128];
	uint64_t id, id2;

	if (resume_parse(arg, token, &id) < 0)
		return;
	if (strlen(token) != SESSION_TOKEN_LEN || strchr(token, ' ') || id > INT64_MAX)
		abort();
	snprintf(again, sizeof(again), "%s %" PRIu64, token, id);
	if (resume_parse(again, token2, &id2) < 0 || strcmp(token, token2) != 0 || id2 != id)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @word is one of the space-separated words of @arg: the slow, obvious way. */
static int has_word(const char *arg, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = arg; (p = strstr(p, word)) != NULL; p++)
		if ((p == arg || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void check_caps(const char *arg, unsigned offered)
{
	unsigned got = command_caps_parse(arg, offered), want = 0;

	if (has_word(arg, "ids"))
		want |= CAP_IDS;
	if (has_word(arg, "ping"))
		want |= CAP_PING;
	if (has_word(arg, "resume"))
		want |= CAP_RESUME;
	if (has_word(arg, "agent"))
		want |= CAP_AGENT;
	if (got != (want & offered))
		abort();
}

static void check_history(const char *arg)
{
	char again[64];
	unsigned n, n2;
	uint64_t before, before2;

	if (history_parse(arg, &n, &before) < 0)
		return;
	if (n < 1 || n > HISTORY_MAX)
		abort();
	if (before)
		snprintf(again, sizeof(again), "%u before %" PRIu64, n, before);
	else
		snprintf(again, sizeof(again), "%u", n);
	if (history_parse(again, &n2, &before2) < 0 || n2 != n || before2 != before)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg;

	if (size < 1 || memchr(data + 1, '\0', size - 1))
		return 0;
	arg = malloc(size);
	if (!arg)
		return 0;
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	if (data[0] & 1)
		check_history(arg);
	else if (data[0] & 0x10)
		check_resume(arg);
	else
		check_caps(arg, ((data[0] >> 1) & (CAP_IDS | CAP_PING | CAP_RESUME)) |
				    (data[0] & 0x20 ? CAP_AGENT : 0));
	free(arg);
	return 0;
}
