/* nftnl.h: an nf_tables ruleset encoder over NETLINK_NETFILTER.
 *
 * Just enough of nf_tables to load a small, fixed ruleset: tables, base
 * chains, rules built from a handful of expressions, all sent as one
 * batch, which the kernel applies atomically (all of it or nothing).
 * greywall must not depend on libnftnl/libmnl/libnftables; the message
 * layout is that of <linux/netfilter/nf_tables.h>.
 *
 * Usage: nft_batch_init(); add tables, chains and rules (a rule is
 * nft_rule_begin(), its expressions in order, nft_rule_end()); then
 * nft_batch_commit().  Every message carries a description (`what`) and
 * the kernel options it relies on (`needs`, may be NULL), so a refusal can
 * be reported as "nf_tables refused <what> ... (needs <needs>)".
 *
 * Registers: every expression here loads into or reads from NFT_REG_1 (a
 * 16-byte register), the way nft(8) encodes simple matches; a verdict goes
 * to the verdict register.  Values in registers keep the byte order of
 * their source: packet fields are big-endian, meta and ct keys are host
 * order, as the kernel stores them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlmsg.h"

/* Messages between the batch's begin and end markers. */
#define NFT_BATCH_MAX_MSGS 32

struct nft_msg_info {
	const char *what;  /* e.g. "chain greywall/out"; static storage */
	const char *needs; /* kernel options it relies on, or NULL */
};

struct nft_batch {
	struct gw_nlbuf buf;  /* over the caller's storage */
	uint32_t seq0;        /* the begin marker's sequence number */
	unsigned nmsgs;
	struct nft_msg_info info[NFT_BATCH_MAX_MSGS];
	size_t rule;          /* open rule message, 0 when none */
	size_t exprs;         /* its expression list */
	bool too_many;        /* more than NFT_BATCH_MAX_MSGS messages */
};

/* Start a batch in `storage` (cap bytes, 4-byte aligned), which must
 * outlive the batch. */
void nft_batch_init(struct nft_batch *b, void *storage, size_t cap);

/* New table (NLM_F_EXCL: refused if it exists). */
void nft_table_add(struct nft_batch *b, uint8_t family, const char *table, const char *what,
		   const char *needs);
void nft_table_del(struct nft_batch *b, uint8_t family, const char *table, const char *what);

/* New base chain: `type` is "filter" or "nat", hook an NF_INET_* hook,
 * policy NF_ACCEPT or NF_DROP. */
void nft_chain_add(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
		   const char *type, uint32_t hook, int32_t priority, uint32_t policy,
		   const char *what, const char *needs);

/* A rule appended to `chain`; expressions follow until nft_rule_end(). */
void nft_rule_begin(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
		    const char *what, const char *needs);
void nft_rule_end(struct nft_batch *b);

/* Expressions (inside a rule). */
void nft_meta_load(struct nft_batch *b, uint32_t key);            /* NFT_META_* -> reg 1 */
void nft_payload_load(struct nft_batch *b, uint32_t base, uint32_t offset, uint32_t len);
void nft_ct_load(struct nft_batch *b, uint32_t key);              /* NFT_CT_* -> reg 1 */
/* reg 1 = reg 1 & mask (len bytes). */
void nft_bitwise_and(struct nft_batch *b, const void *mask, size_t len);
/* Compare reg 1 with data; the rule stops here when it does not hold. */
void nft_cmp(struct nft_batch *b, uint32_t op, const void *data, size_t len);
/* reg 1 = data. */
void nft_immediate(struct nft_batch *b, const void *data, size_t len);
/* A verdict: NF_ACCEPT, NF_DROP, NFT_RETURN... */
void nft_verdict(struct nft_batch *b, int32_t code);
/* Redirect to this host, port taken from reg 1 (big-endian 16 bits). */
void nft_redir_reg(struct nft_batch *b);
/* reject: NFT_REJECT_ICMPX_UNREACH with an NFT_REJECT_ICMPX_* code, or
 * NFT_REJECT_TCP_RST (code ignored). */
void nft_reject(struct nft_batch *b, uint32_t type, uint8_t code);

/* Which message the kernel refused, and why. */
struct nft_failure {
	int error;           /* -errno */
	const char *what;    /* the message's description ("the batch" for the markers) */
	const char *needs;   /* its kernel options, or NULL */
	char why[160];       /* the kernel's own text, or "" */
};

/* Close the batch, send it on a new NETLINK_NETFILTER socket and wait
 * (bounded) for every message's acknowledgement.  Returns 0 when the
 * kernel applied it, else -errno with *f (may be NULL) naming the refused
 * message; then nothing of the batch was applied.  -EMSGSIZE (or -E2BIG
 * for too many messages) when it did not fit its storage.  Needs
 * CAP_NET_ADMIN over the network namespace (-EPERM otherwise). */
int nft_batch_commit(struct nft_batch *b, struct nft_failure *f);
