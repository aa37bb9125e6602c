/* SPDX-License-Identifier: ISC */
/*
 * auth.h - the challenge of protocol section 6, for both ends: HMAC-SHA256 of the 32 challenge
 * bytes under the shared key, in hex; reading that key from a file; making and checking a
 * challenge (the daemon's side).
 *
 * Channel binding: where an answer is bound to its TLS session (agents over TLS; see README,
 * "Security"), the HMAC covers the 32 challenge bytes followed by the 32-byte RFC 9266
 * "tls-exporter" value of the session, so an answer relayed into another TLS session (a man in
 * the middle's) is wrong there. Unbound, the HMAC covers the challenge bytes alone, as before.
 */
#ifndef FRONTDESK_AUTH_H
#define FRONTDESK_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AUTH_CHALLENGE_BYTES 32
#define AUTH_BINDING_BYTES   32 /* the tls-exporter value */
#define AUTH_KEY_MAX         1024

/* A shared key, as read from its key file. */
struct auth_key {
	unsigned char bytes[AUTH_KEY_MAX];
	size_t len;
};
#define AUTH_RESPONSE_LEN 64 /* hex digits of an HMAC-SHA256 */

struct ssl_st;

/*
 * auth_response() - answer @challenge (64 hex digits) into @out (AUTH_RESPONSE_LEN + 1 bytes),
 * bound to @binding (@binding_len bytes, at most AUTH_BINDING_BYTES; 0 for an unbound answer).
 * Return: 0, or -EINVAL when the challenge is not 64 hex digits.
 */
int auth_response(const unsigned char *key, size_t key_len, const char *challenge, size_t len,
		  const unsigned char *binding, size_t binding_len,
		  char out[AUTH_RESPONSE_LEN + 1]);

/*
 * auth_read_key() - the key is the file's bytes, one trailing newline removed.
 *
 * A file with any of the permission bits in @forbidden set is refused (-EPERM): the daemon
 * forbids access by others (S_IRWXO), the client by group and others. An empty file is refused
 * (-EINVAL), as is one larger than @max (-EFBIG). Return: 0 with *@ret_len set, or -errno.
 */
int auth_read_key(const char *path, mode_t forbidden, unsigned char *key, size_t max,
		  size_t *ret_len);

/* auth_new_challenge() - 32 random bytes from the OS as 64 hex digits (+ NUL) in @out. */
int auth_new_challenge(char out[2 * AUTH_CHALLENGE_BYTES + 1]);

/*
 * auth_check() - whether @response (of @len bytes) is the right answer to @challenge, bound to
 * @binding as in auth_response(). Hex digits may be upper or lower case; the comparison takes
 * the same time however many digits match.
 */
bool auth_check(const unsigned char *key, size_t key_len, const char *challenge,
		const unsigned char *binding, size_t binding_len, const char *response, size_t len);

/*
 * auth_tls_binding() - the RFC 9266 "tls-exporter" value of @ssl's session: the RFC 5705
 * exporter with label "EXPORTER-Channel-Binding", no context, AUTH_BINDING_BYTES bytes.
 * Call it once the handshake is done (both ends then compute the same value).
 * Return: 0, -EPROTONOSUPPORT when the session is older than TLS 1.3, -EIO if OpenSSL fails.
 */
int auth_tls_binding(struct ssl_st *ssl, unsigned char out[AUTH_BINDING_BYTES]);

#endif
