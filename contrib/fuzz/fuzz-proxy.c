/* SPDX-License-Identifier: ISC */
/*
 * fuzz-proxy.c - libFuzzer harness for the PROXY protocol parser (proxy.h).
 *
 * The input is the first bytes a balancer's connection sent. What the daemon relies on must
 * hold for any of them: a header found is within the input and within PROXY_HEADER_MAX, is
 * found again at exactly its length and not one byte before (every shorter prefix needs more),
 * and "need more" only ever means that every byte so far belongs to the header (so taking them
 * from the socket cannot eat the client's bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_result r, again;
	enum proxy_status st = proxy_parse(data, size, &r);

	switch (st) {
	case PROXY_DONE:
		if (r.len == 0 || r.len > size || r.len > PROXY_HEADER_MAX)
			abort();
		if (proxy_parse(data, r.len, &again) != PROXY_DONE || again.len != r.len)
			abort();
		if (proxy_parse(data, r.len - 1, &again) != PROXY_NEED_MORE)
			abort();
		if (!r.local && r.addr.ss_family != AF_INET && r.addr.ss_family != AF_INET6)
			abort();
		break;
	case PROXY_NEED_MORE:
		if (size >= PROXY_HEADER_MAX)
			abort();
		break;
	case PROXY_BAD:
		if (!r.why)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
