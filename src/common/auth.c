/* SPDX-License-Identifier: ISC */
/* auth.c - HMAC-SHA256 challenges, responses, channel binding and key files (see auth.h). */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

/* RFC 9266: the exporter label of the "tls-exporter" channel binding, used with no context. */
#define BINDING_LABEL "EXPORTER-Channel-Binding"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_response(const unsigned char *key, size_t key_len, const char *challenge, size_t len,
		  const unsigned char *binding, size_t binding_len, char out[AUTH_RESPONSE_LEN + 1])
{
	unsigned char bytes[AUTH_CHALLENGE_BYTES + AUTH_BINDING_BYTES], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (len != 2 * AUTH_CHALLENGE_BYTES || binding_len > AUTH_BINDING_BYTES)
		return -EINVAL;
	for (size_t i = 0; i < AUTH_CHALLENGE_BYTES; i++) {
		int hi = hexval(challenge[2 * i]), lo = hexval(challenge[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	if (binding_len)
		memcpy(bytes + AUTH_CHALLENGE_BYTES, binding, binding_len);
	if (!HMAC(EVP_sha256(), key, (int)key_len, bytes, AUTH_CHALLENGE_BYTES + binding_len, mac,
		  &mac_len) ||
	    mac_len * 2 != AUTH_RESPONSE_LEN)
		return -EINVAL;
	for (unsigned i = 0; i < mac_len; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int auth_read_key(const char *path, mode_t forbidden, unsigned char *key, size_t max,
		  size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_mode & forbidden) {
		r = -EPERM;
		goto out;
	}
	while ((n = read(fd, key + len, max - len)) > 0) {
		len += (size_t)n;
		if (len == max) {
			char extra;

			if (read(fd, &extra, 1) > 0) {
				r = -EFBIG;
				goto out;
			}
			break;
		}
	}
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if (len > 0 && key[len - 1] == '\n')
		len--;
	if (len == 0)
		r = -EINVAL;
	else
		*ret_len = len;
out:
	close(fd);
	return r;
}

int auth_new_challenge(char out[2 * AUTH_CHALLENGE_BYTES + 1])
{
	unsigned char bytes[AUTH_CHALLENGE_BYTES];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return -errno ? -errno : -EIO;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

bool auth_check(const unsigned char *key, size_t key_len, const char *challenge,
		const unsigned char *binding, size_t binding_len, const char *response, size_t len)
{
	char expected[AUTH_RESPONSE_LEN + 1], given[AUTH_RESPONSE_LEN];

	if (len != AUTH_RESPONSE_LEN || auth_response(key, key_len, challenge, strlen(challenge),
						      binding, binding_len, expected) < 0)
		return false;
	/* Case-folding first touches only the peer's own bytes, never the secret. */
	for (size_t i = 0; i < len; i++)
		given[i] = (char)tolower((unsigned char)response[i]);
	return CRYPTO_memcmp(expected, given, AUTH_RESPONSE_LEN) == 0;
}

int auth_tls_binding(struct ssl_st *ssl, unsigned char out[AUTH_BINDING_BYTES])
{
	/*
	 * RFC 9266 defines this binding for TLS 1.3. A TLS 1.2 exporter is unique to its session
	 * only with the extended master secret, and would let a man in the middle who holds two
	 * sessions with the same secrets (the triple handshake attack) pass our answer on: rather
	 * than reason about which 1.2 sessions are safe, bound answers need TLS 1.3.
	 */
	if (SSL_version(ssl) < TLS1_3_VERSION)
		return -EPROTONOSUPPORT;
	if (SSL_export_keying_material(ssl, out, AUTH_BINDING_BYTES, BINDING_LABEL,
				       strlen(BINDING_LABEL), NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}
