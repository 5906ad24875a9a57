/* socks5.h: the SOCKS5 protocol (RFC 1928) with username/password
 * authentication (RFC 1929), as byte-level state machines without I/O.
 *
 * Server side: the supervisor's loopback proxy feeds what a sandboxed
 * client sends into a struct gw_socks5_srv and gets back the bytes to
 * answer, until the CONNECT request is complete; policy, connecting and
 * the final reply (socks5_reply()) are the caller's.
 *
 * Client side: a struct gw_socks5_cli produces the bytes that ask an
 * upstream SOCKS5 proxy (network.proxyUrl) for a CONNECT, the target name
 * sent unresolved (ATYP 3), and reads the proxy's answers.
 *
 * Both sides consume exactly their own protocol bytes: whatever the peer
 * sent after the request (or reply) is application data and is left to
 * the caller, since clients commonly pipeline a TLS ClientHello and servers
 * may send a banner at once.  When a feed needs more input, it has always
 * consumed all of it, so callers never keep a partial message around.
 *
 * The structs are caller-owned storage (stack or a connection struct);
 * nothing here allocates.  Fields marked private are the state machines'. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* REP codes of the reply to a request (RFC 1928 section 6). */
enum gw_socks5_rep {
	GW_SOCKS5_REP_SUCCEEDED = 0,
	GW_SOCKS5_REP_GENERAL_FAILURE = 1,
	GW_SOCKS5_REP_NOT_ALLOWED = 2,        /* connection not allowed by ruleset */
	GW_SOCKS5_REP_NET_UNREACHABLE = 3,
	GW_SOCKS5_REP_HOST_UNREACHABLE = 4,
	GW_SOCKS5_REP_CONN_REFUSED = 5,
	GW_SOCKS5_REP_TTL_EXPIRED = 6,
	GW_SOCKS5_REP_CMD_UNSUPPORTED = 7,
	GW_SOCKS5_REP_ATYP_UNSUPPORTED = 8,
};

/* Address types (ATYP). */
enum gw_socks5_atyp {
	GW_SOCKS5_ATYP_IPV4 = 1,
	GW_SOCKS5_ATYP_DOMAIN = 3,
	GW_SOCKS5_ATYP_IPV6 = 4,
};

/* What a feed returns besides -errno. */
enum gw_socks5_status {
	GW_SOCKS5_MORE = 0,   /* all input consumed; send the output, feed more */
	GW_SOCKS5_DONE = 1,   /* request (server) or reply (client) complete */
};

#define GW_SOCKS5_NAME_MAX 255   /* a DOMAIN address: 1-255 bytes on the wire */
#define GW_SOCKS5_CRED_MAX 255   /* RFC 1929 UNAME / PASSWD: 1-255 bytes */

/* The longest handshake a server reads, request included: greeting
 * (2 + 255 methods), authentication (3 + 255 + 255) and request
 * (4 + 1 + 255 + 2).  A server never consumes more than this. */
#define GW_SOCKS5_HANDSHAKE_MAX (257 + 513 + 262)

/* Room for the output of one socks5_srv_feed(): a method selection, an
 * authentication status and a failure reply, when all arrive in one go. */
#define GW_SOCKS5_SRV_OUT_MAX 16

/* Room for the output of one socks5_cli_start() / socks5_cli_feed(): the
 * authentication request (3 + 255 + 255) and the CONNECT request
 * (4 + 1 + 255 + 2), both due at once when a proxy sends its
 * authentication status along with its method selection. */
#define GW_SOCKS5_CLI_OUT_MAX (513 + 262)

/* Room for a socks5_reply() with an address (IPv6 is the longest). */
#define GW_SOCKS5_REPLY_MAX 22

/* A username/password credential, zero-padded so that it compares in
 * constant time.  Plain data: copy it, wipe it with explicit_bzero(). */
struct gw_socks5_cred {
	uint8_t user[GW_SOCKS5_CRED_MAX];
	uint8_t pass[GW_SOCKS5_CRED_MAX];
	uint8_t user_len, pass_len;   /* 1..255 */
};

/* Fill *c from NUL-terminated user and pass.  Returns 0, or -EINVAL when
 * either is empty or longer than 255 bytes (RFC 1929 cannot carry it). */
int socks5_cred_init(struct gw_socks5_cred *c, const char *user, const char *pass);

/* A request's target (or a reply's bound address).  For IPV4 / IPV6,
 * addr holds the address and the port; for DOMAIN, name holds the raw
 * bytes as sent (NUL-terminated for convenience; a server-parsed name is
 * 1..255 bytes without NUL, not normalised: pass it through
 * domain_normalize() before any policy decision). */
struct gw_socks5_target {
	uint8_t atyp;                          /* enum gw_socks5_atyp */
	uint16_t port;                         /* host byte order */
	struct sockaddr_storage addr;          /* IPV4 / IPV6 only */
	size_t name_len;                       /* DOMAIN only */
	char name[GW_SOCKS5_NAME_MAX + 1];     /* DOMAIN only */
};

/* A DOMAIN target.  Returns 0, or -EINVAL for an empty or over-long name
 * or port 0. */
int socks5_target_name(struct gw_socks5_target *t, const char *name, uint16_t port);

/* An IPV4 / IPV6 target from an AF_INET / AF_INET6 address, port included.
 * Returns 0, -EAFNOSUPPORT for another family, -EINVAL for port 0. */
int socks5_target_addr(struct gw_socks5_target *t, const struct sockaddr *sa);

/* ---- Server ---- */

/* One client connection's handshake.  Initialise with socks5_srv_init(). */
struct gw_socks5_srv {
	const struct gw_socks5_cred *cred;  /* borrowed; NULL: no authentication */
	struct gw_socks5_target target;     /* valid once feed returned DONE */
	/* private */
	int stage;
	int result;                         /* sticky once DONE or failed */
	size_t have;                        /* bytes of the current message in buf */
	uint8_t buf[3 + 2 * GW_SOCKS5_CRED_MAX]; /* the current message (auth is longest) */
};

/* cred, if not NULL, must outlive s: the client must then authenticate
 * with it (method 0x02).  Without it the server accepts method 0x00 only,
 * for a standalone proxy run without authentication. */
void socks5_srv_init(struct gw_socks5_srv *s, const struct gw_socks5_cred *cred);

/* Feed in[0..len) from the client.  *consumed gets how many bytes were
 * used (all of them on MORE; on DONE, exactly up to the end of the
 * request, the rest being the client's data for the target); out[0..
 * *out_len) gets what to send back now (possibly nothing).
 *
 * Returns GW_SOCKS5_MORE; GW_SOCKS5_DONE with s->target set, after which
 * the caller decides, connects and answers with socks5_reply(); or a
 * failure, after which the caller sends out[] and closes:
 *   -EPROTO        malformed: a version other than 5 (or 1 for the
 *                  authentication), NMETHODS / ULEN / PLEN 0, RSV not 0
 *   -EACCES        no acceptable method (0xFF), or a wrong credential
 *   -EOPNOTSUPP    BIND, UDP ASSOCIATE or an unknown command (REP 7)
 *   -EAFNOSUPPORT  an address type other than 1, 3, 4 (REP 8)
 *   -EINVAL        an empty name or one with a NUL byte (REP 4), port 0
 *                  (REP 2)
 * The result is sticky: feeding a finished handshake again returns the
 * same value and consumes nothing. */
int socks5_srv_feed(struct gw_socks5_srv *s, const uint8_t *in, size_t len, size_t *consumed,
		    uint8_t out[static GW_SOCKS5_SRV_OUT_MAX], size_t *out_len);

/* Build the reply to a request in out[0..cap): REP `rep` with BND.ADDR and
 * BND.PORT from `bound` (AF_INET or AF_INET6; NULL gives 0.0.0.0:0, which
 * is what failure replies carry).  Returns its length (10 or 22),
 * -ENOBUFS when cap is too small, -EAFNOSUPPORT for another family. */
int socks5_reply(uint8_t rep, const struct sockaddr *bound, uint8_t *out, size_t cap);

/* The REP for a failed connect(): err is an errno value, of either sign.
 * Name resolution failures should be passed as EHOSTUNREACH and policy
 * refusals as EACCES. */
uint8_t socks5_rep_from_errno(int err);

/* ---- Client ---- */

/* One CONNECT through an upstream proxy.  Start with socks5_cli_start(). */
struct gw_socks5_cli {
	const struct gw_socks5_cred *cred;  /* borrowed; NULL: offer method 0x00 only */
	struct gw_socks5_target target;     /* copied at start */
	struct gw_socks5_target bound;      /* BND.ADDR / BND.PORT once DONE */
	/* private */
	int stage;
	int result;
	size_t have;
	uint8_t buf[4 + 1 + GW_SOCKS5_NAME_MAX + 2]; /* the current server message */
};

/* Begin: *t is copied, cred (if not NULL) is borrowed and must outlive c.
 * out[0..*out_len) gets the greeting to send, which offers method 0x00
 * and, with a credential, 0x02.  Returns 0, or -EINVAL for a target that
 * cannot be sent (unknown type, name not 1..255 bytes or with a NUL,
 * port 0). */
int socks5_cli_start(struct gw_socks5_cli *c, const struct gw_socks5_cred *cred,
		     const struct gw_socks5_target *t, uint8_t out[static GW_SOCKS5_CLI_OUT_MAX],
		     size_t *out_len);

/* Feed in[0..len) from the proxy; *consumed and out[] as for
 * socks5_srv_feed() (on DONE nothing past the reply is consumed: it is
 * the target's data).  Returns GW_SOCKS5_MORE, GW_SOCKS5_DONE (connected,
 * c->bound set), or a failure:
 *   -EPROTO        a malformed answer, or a method that was not offered
 *   -EACCES        no acceptable method, or the credential was refused
 *   the errno of socks5_errno_from_rep() for a REP other than 0.
 * Sticky like the server's. */
int socks5_cli_feed(struct gw_socks5_cli *c, const uint8_t *in, size_t len, size_t *consumed,
		    uint8_t out[static GW_SOCKS5_CLI_OUT_MAX], size_t *out_len);

/* The errno (positive) for a REP: 0 for success; 2 EACCES, 3 ENETUNREACH,
 * 4 EHOSTUNREACH, 5 ECONNREFUSED, 6 ETIMEDOUT, 7 EOPNOTSUPP, 8
 * EAFNOSUPPORT, 1 ECONNABORTED, anything unassigned EPROTO. */
int socks5_errno_from_rep(uint8_t rep);
