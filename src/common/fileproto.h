/* SPDX-License-Identifier: ISC */
/*
 * fileproto.h - the pure parts of the files protocol (issue 19): the "file-offer" line, a type 6
 * frame's body, tags, media types and the name sanitiser. No I/O and no allocation, so the
 * daemon, the client and the fuzzers share them and the unit tests pin them down.
 *
 *     file-offer TAG SIZE SHA256 TYPE TO NAME    (command, client -> server)
 *     LLLL|6|TAG BYTES                           (data, both ways; BYTES are raw, not UTF-8)
 */
#ifndef FRONTDESK_FILEPROTO_H
#define FRONTDESK_FILEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nick.h"

/* A TAG: 1..16 of [A-Za-z0-9_-], chosen by whoever starts the transfer. */
#define FILE_TAG_MAX     16
#define FILE_TAG_BUFSIZE (FILE_TAG_MAX + 1)
/* A SHA-256 in hex, lower case once parsed. */
#define FILE_SHA_HEX     64
#define FILE_SHA_BUFSIZE (FILE_SHA_HEX + 1)
/* A media type "type/subtype" of [a-z0-9!#$&^_.+-], at most 127 bytes. */
#define FILE_TYPE_MAX     127
#define FILE_TYPE_BUFSIZE (FILE_TYPE_MAX + 1)
#define FILE_TYPE_DEFAULT "application/octet-stream"
/* A sanitised name: at most 128 bytes, cut at a UTF-8 boundary. */
#define FILE_NAME_MAX     128
#define FILE_NAME_BUFSIZE (FILE_NAME_MAX + 1)
/* TO: "*" or a nickname. */
#define FILE_TO_BUFSIZE (FD_NICK_MAX_BYTES + 1)
/* The most data bytes one type 6 frame carries, whatever max_frame allows. */
#define FILE_CHUNK_MAX 8192

/* A parsed "file-offer": every field NUL-terminated, @sha and @type lower-cased. */
struct file_offer {
	char tag[FILE_TAG_BUFSIZE];
	uint64_t size;
	char sha[FILE_SHA_BUFSIZE];
	char type[FILE_TYPE_BUFSIZE];
	char to[FILE_TO_BUFSIZE];
	char name[FILE_NAME_BUFSIZE];
};

/* file_tag_valid() - whether the @len bytes at @s are a TAG. */
bool file_tag_valid(const char *s, size_t len);

/*
 * file_sha_parse() - the @len bytes at @s as a SHA-256 in hex (any case) into @out, lower-cased.
 * Return: 0, or -EINVAL.
 */
int file_sha_parse(const char *s, size_t len, char out[FILE_SHA_BUFSIZE]);

/*
 * file_type_normalise() - the media type of @len bytes at @s, lower-cased into @out when it is
 * "type/subtype" of [a-z0-9!#$&^_.+-] (one '/', neither side empty, at most 127 bytes), else
 * FILE_TYPE_DEFAULT. The type is the sender's word, never sniffed from the content.
 */
void file_type_normalise(const char *s, size_t len, char out[FILE_TYPE_BUFSIZE]);

/*
 * file_name_sanitise() - a safe base name for the @len bytes at @s into @out: the part after
 * the last '/' or '\', without NUL, bytes that are not UTF-8, and what a terminal obeys or
 * hides (utf8_is_control(): controls, bidi overrides, zero-width characters), without leading
 * dots and spaces or trailing spaces, at most FILE_NAME_MAX bytes of whole characters; "file"
 * when nothing is left. Returns the length written: valid UTF-8, never empty.
 */
size_t file_name_sanitise(const char *s, size_t len, char out[FILE_NAME_BUFSIZE]);

/*
 * file_offer_parse() - "TAG SIZE SHA256 TYPE TO NAME" (the arguments of "file-offer", @len bytes
 * at @s) into @o. @o->tag is set as soon as the first word is a valid TAG, even when a later
 * field is wrong, so that the refusal can name it. SIZE is decimal, at most 20 digits and no
 * sign; it is not compared with any limit here.
 * Return: 0, or -EINVAL with @o->tag "" when the TAG itself is bad.
 */
int file_offer_parse(const char *s, size_t len, struct file_offer *o);

/*
 * file_data_split() - a type 6 body "TAG BYTES" (@len bytes at @body): the tag into @tag, and
 * where BYTES start and how many. Return: 0, or -EINVAL when there is no valid TAG and space.
 */
int file_data_split(const char *body, size_t len, char tag[FILE_TAG_BUFSIZE], const char **bytes,
		    size_t *nbytes);

/*
 * file_tag_sha_parse() - "TAG" (@sha NULL) or "TAG SHA256" (@len bytes at @s): the arguments of
 * file-end, file-cancel and file-get. Return: 0, or -EINVAL (@tag set if the TAG was valid).
 */
int file_tag_sha_parse(const char *s, size_t len, char tag[FILE_TAG_BUFSIZE],
		       char sha[FILE_SHA_BUFSIZE]);

/* file_chunk() - the CHUNK of the "files" notice for @max_frame: min(8192, max_frame - 24). */
unsigned file_chunk(unsigned max_frame);

/*
 * file_quota_cost() - what a kept file of @size bytes costs the files directory's quota: as
 * the disk takes it, whole FILE_QUOTA_BLOCKs (one at least: an empty file still takes an
 * inode) and one more for its .type. The daemon counts by it (filedir.c) and the config
 * checks the largest file against it (config.c). UINT64_MAX when it does not fit.
 */
#define FILE_QUOTA_BLOCK 4096
uint64_t file_quota_cost(uint64_t size);

#endif
