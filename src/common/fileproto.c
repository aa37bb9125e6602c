/* SPDX-License-Identifier: ISC */
/*
 * fileproto.c - the files protocol's parsers (fileproto.h). Each one works on a length and
 * never reads past it: a type 6 body may hold any byte, NUL included.
 */
#include "fileproto.h"

#include <errno.h>
#include <string.h>

#include "utf8.h"

static bool tag_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

bool file_tag_valid(const char *s, size_t len)
{
	if (len < 1 || len > FILE_TAG_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!tag_char(s[i]))
			return false;
	return true;
}

static int hex_lower(char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
		return ch;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 'a';
	return -1;
}

int file_sha_parse(const char *s, size_t len, char out[FILE_SHA_BUFSIZE])
{
	if (len != FILE_SHA_HEX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int h = hex_lower(s[i]);

		if (h < 0)
			return -EINVAL;
		out[i] = (char)h;
	}
	out[len] = '\0';
	return 0;
}

/* RFC 6838's restricted name characters, lower case. */
static bool type_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$&^_.+-", ch));
}

void file_type_normalise(const char *s, size_t len, char out[FILE_TYPE_BUFSIZE])
{
	size_t slash = 0, nslash = 0;

	if (len == 0 || len > FILE_TYPE_MAX)
		goto other;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];

		if (ch == '/') {
			slash = i;
			nslash++;
		} else if (!type_char(ch)) {
			goto other;
		}
		out[i] = ch;
	}
	if (nslash != 1 || slash == 0 || slash == len - 1)
		goto other;
	out[len] = '\0';
	return;
other:
	strcpy(out, FILE_TYPE_DEFAULT);
}

size_t file_name_sanitise(const char *s, size_t len, char out[FILE_NAME_BUFSIZE])
{
	size_t start = 0, n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	for (size_t i = start; i < len;) {
		uint32_t cp = 0;
		size_t step = utf8_decode(s + i, len - i, &cp);

		if (step == 0) {
			i++; /* not UTF-8: that byte alone goes */
			continue;
		}
		i += step;
		/* What a terminal obeys or hides (bidi overrides: "invoice<RLO>fdp.exe") goes, and
		 * leading dots and spaces: "..", ".bashrc", a name of blanks. */
		if (cp == 0 || utf8_is_control(cp) || (n == 0 && (cp == '.' || cp == ' ')))
			continue;
		if (n + step > FILE_NAME_MAX)
			break; /* whole characters only */
		memcpy(out + n, s + i - step, step);
		n += step;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	if (n == 0) {
		strcpy(out, "file");
		return 4;
	}
	out[n] = '\0';
	return n;
}

/* The next space-separated word of [*p, end): its start and length; *p moves past one space. */
static bool next_word(const char **p, const char *end, const char **w, size_t *wlen)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));

	*w = *p;
	*wlen = (size_t)((sp ? sp : end) - *p);
	*p = sp ? sp + 1 : end;
	return *wlen > 0;
}

static int parse_size(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len < 1 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		uint64_t digit = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	*ret = v;
	return 0;
}

int file_offer_parse(const char *s, size_t len, struct file_offer *o)
{
	const char *p = s, *end = s + len, *w;
	size_t wlen;

	memset(o, 0, sizeof(*o));
	if (!next_word(&p, end, &w, &wlen) || !file_tag_valid(w, wlen))
		return -EINVAL;
	memcpy(o->tag, w, wlen);
	if (!next_word(&p, end, &w, &wlen) || parse_size(w, wlen, &o->size) < 0)
		return -EINVAL;
	if (!next_word(&p, end, &w, &wlen) || file_sha_parse(w, wlen, o->sha) < 0)
		return -EINVAL;
	if (!next_word(&p, end, &w, &wlen))
		return -EINVAL;
	file_type_normalise(w, wlen, o->type);
	if (!next_word(&p, end, &w, &wlen) || wlen >= sizeof(o->to) || memchr(w, '\0', wlen))
		return -EINVAL;
	memcpy(o->to, w, wlen);
	/* NAME: the rest of the line, spaces and all; it must be there, even if it is cleaned away.
	 */
	if (p == end)
		return -EINVAL;
	file_name_sanitise(p, (size_t)(end - p), o->name);
	return 0;
}

int file_data_split(const char *body, size_t len, char tag[FILE_TAG_BUFSIZE], const char **bytes,
		    size_t *nbytes)
{
	const char *sp = memchr(body, ' ', len < FILE_TAG_MAX + 1 ? len : FILE_TAG_MAX + 1);
	size_t tlen = sp ? (size_t)(sp - body) : 0;

	if (!sp || !file_tag_valid(body, tlen))
		return -EINVAL;
	memcpy(tag, body, tlen);
	tag[tlen] = '\0';
	*bytes = sp + 1;
	*nbytes = len - tlen - 1;
	return 0;
}

int file_tag_sha_parse(const char *s, size_t len, char tag[FILE_TAG_BUFSIZE],
		       char sha[FILE_SHA_BUFSIZE])
{
	const char *p = s, *end = s + len, *w;
	size_t wlen;

	tag[0] = '\0';
	if (!next_word(&p, end, &w, &wlen) || !file_tag_valid(w, wlen))
		return -EINVAL;
	memcpy(tag, w, wlen);
	tag[wlen] = '\0';
	if (!sha)
		return w + wlen == end ? 0 : -EINVAL;
	if (!next_word(&p, end, &w, &wlen) || w + wlen != end)
		return -EINVAL;
	return file_sha_parse(w, wlen, sha);
}

unsigned file_chunk(unsigned max_frame)
{
	/* "LLLL|6|" and the longest "TAG ". */
	unsigned room = max_frame > 7 + FILE_TAG_MAX + 1 ? max_frame - 7 - FILE_TAG_MAX - 1 : 0;

	return room < FILE_CHUNK_MAX ? room : FILE_CHUNK_MAX;
}

uint64_t file_quota_cost(uint64_t size)
{
	uint64_t blocks = size / FILE_QUOTA_BLOCK + (size % FILE_QUOTA_BLOCK != 0);

	if (blocks > UINT64_MAX / FILE_QUOTA_BLOCK - 2)
		return UINT64_MAX;
	return ((blocks ? blocks : 1) + 1) * FILE_QUOTA_BLOCK;
}
