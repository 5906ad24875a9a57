/* nftnl.c: see nftnl.h. */
#include "nftnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <string.h>

#include "cleanup.h"

/* The kernel answers a batch while processing the sendto(); the wait only
 * guards against the unexpected. */
#define ACK_TIMEOUT_MS 5000

static void put_nfgenmsg(struct nft_batch *b, uint8_t family, uint16_t res_id)
{
	struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0,
			      .res_id = htons(res_id) };
	nl_put(&b->buf, &g, sizeof g);
}

void nft_batch_init(struct nft_batch *b, void *storage, size_t cap)
{
	*b = (struct nft_batch){ 0 };
	nl_buf_init(&b->buf, storage, cap);
	/* Numbers for the begin marker, every message and the end marker. */
	b->seq0 = nl_alloc_seq(NFT_BATCH_MAX_MSGS + 2);
	size_t m = nl_msg_begin(&b->buf, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, b->seq0);
	/* res_id names the subsystem the batch is for. */
	put_nfgenmsg(b, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nl_msg_end(&b->buf, m);
}

/* Start message number b->nmsgs; returns its offset. */
static size_t msg_begin(struct nft_batch *b, uint8_t type, uint16_t flags, uint8_t family,
			const char *what, const char *needs)
{
	if (b->nmsgs == NFT_BATCH_MAX_MSGS || b->rule) {
		b->too_many = true;
		return 0;
	}
	b->info[b->nmsgs] = (struct nft_msg_info){ .what = what, .needs = needs };
	uint32_t seq = b->seq0 + 1 + b->nmsgs++;
	size_t m = nl_msg_begin(&b->buf, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type),
				NLM_F_REQUEST | NLM_F_ACK | flags, seq);
	put_nfgenmsg(b, family, 0);
	return m;
}

void nft_table_add(struct nft_batch *b, uint8_t family, const char *table, const char *what,
		   const char *needs)
{
	size_t m = msg_begin(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, family, what, needs);
	nl_attr_str(&b->buf, NFTA_TABLE_NAME, table);
	nl_msg_end(&b->buf, m);
}

void nft_table_del(struct nft_batch *b, uint8_t family, const char *table, const char *what)
{
	size_t m = msg_begin(b, NFT_MSG_DELTABLE, 0, family, what, NULL);
	nl_attr_str(&b->buf, NFTA_TABLE_NAME, table);
	nl_msg_end(&b->buf, m);
}

void nft_chain_add(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
		   const char *type, uint32_t hook, int32_t priority, uint32_t policy,
		   const char *what, const char *needs)
{
	size_t m = msg_begin(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, family, what, needs);
	nl_attr_str(&b->buf, NFTA_CHAIN_TABLE, table);
	nl_attr_str(&b->buf, NFTA_CHAIN_NAME, chain);
	size_t h = nl_nest_begin(&b->buf, NFTA_CHAIN_HOOK);
	nl_attr_be32(&b->buf, NFTA_HOOK_HOOKNUM, hook);
	nl_attr_be32(&b->buf, NFTA_HOOK_PRIORITY, (uint32_t)priority);
	nl_nest_end(&b->buf, h);
	nl_attr_be32(&b->buf, NFTA_CHAIN_POLICY, policy);
	nl_attr_str(&b->buf, NFTA_CHAIN_TYPE, type);
	nl_msg_end(&b->buf, m);
}

void nft_rule_begin(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
		    const char *what, const char *needs)
{
	size_t m = msg_begin(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family, what, needs);
	nl_attr_str(&b->buf, NFTA_RULE_TABLE, table);
	nl_attr_str(&b->buf, NFTA_RULE_CHAIN, chain);
	b->exprs = nl_nest_begin(&b->buf, NFTA_RULE_EXPRESSIONS);
	b->rule = m;
}

void nft_rule_end(struct nft_batch *b)
{
	if (!b->rule) {
		b->too_many = true; /* misuse: reported as a batch that cannot be built */
		return;
	}
	nl_nest_end(&b->buf, b->exprs);
	nl_msg_end(&b->buf, b->rule);
	b->rule = b->exprs = 0;
}

/* An expression is a list element { name, data { ... } }: the offsets
 * of the two nests, for expr_end(). */
struct expr_nest {
	size_t elem, data;
};

static struct expr_nest expr_begin(struct nft_batch *b, const char *name)
{
	if (!b->rule)
		b->too_many = true;
	struct expr_nest e;
	e.elem = nl_nest_begin(&b->buf, NFTA_LIST_ELEM);
	nl_attr_str(&b->buf, NFTA_EXPR_NAME, name);
	e.data = nl_nest_begin(&b->buf, NFTA_EXPR_DATA);
	return e;
}

static void expr_end(struct nft_batch *b, struct expr_nest e)
{
	nl_nest_end(&b->buf, e.data);
	nl_nest_end(&b->buf, e.elem);
}

/* NFTA_DATA_VALUE wrapped in the attribute `type`. */
static void data_value(struct nft_batch *b, uint16_t type, const void *data, size_t len)
{
	size_t n = nl_nest_begin(&b->buf, type);
	nl_attr(&b->buf, NFTA_DATA_VALUE, data, len);
	nl_nest_end(&b->buf, n);
}

void nft_meta_load(struct nft_batch *b, uint32_t key)
{
	struct expr_nest e = expr_begin(b, "meta");
	nl_attr_be32(&b->buf, NFTA_META_KEY, key);
	nl_attr_be32(&b->buf, NFTA_META_DREG, NFT_REG_1);
	expr_end(b, e);
}

void nft_payload_load(struct nft_batch *b, uint32_t base, uint32_t offset, uint32_t len)
{
	struct expr_nest e = expr_begin(b, "payload");
	nl_attr_be32(&b->buf, NFTA_PAYLOAD_DREG, NFT_REG_1);
	nl_attr_be32(&b->buf, NFTA_PAYLOAD_BASE, base);
	nl_attr_be32(&b->buf, NFTA_PAYLOAD_OFFSET, offset);
	nl_attr_be32(&b->buf, NFTA_PAYLOAD_LEN, len);
	expr_end(b, e);
}

void nft_ct_load(struct nft_batch *b, uint32_t key)
{
	struct expr_nest e = expr_begin(b, "ct");
	nl_attr_be32(&b->buf, NFTA_CT_KEY, key);
	nl_attr_be32(&b->buf, NFTA_CT_DREG, NFT_REG_1);
	expr_end(b, e);
}

void nft_bitwise_and(struct nft_batch *b, const void *mask, size_t len)
{
	static const uint8_t zero[NFT_DATA_VALUE_MAXLEN];
	if (len > sizeof zero) {
		b->buf.overflow = true;
		return;
	}
	/* No NFTA_BITWISE_OP: the default is the mask-and-xor operation,
	 * which kernels from before the attribute existed also understand. */
	struct expr_nest e = expr_begin(b, "bitwise");
	nl_attr_be32(&b->buf, NFTA_BITWISE_SREG, NFT_REG_1);
	nl_attr_be32(&b->buf, NFTA_BITWISE_DREG, NFT_REG_1);
	nl_attr_be32(&b->buf, NFTA_BITWISE_LEN, (uint32_t)len);
	data_value(b, NFTA_BITWISE_MASK, mask, len);
	data_value(b, NFTA_BITWISE_XOR, zero, len);
	expr_end(b, e);
}

void nft_cmp(struct nft_batch *b, uint32_t op, const void *data, size_t len)
{
	struct expr_nest e = expr_begin(b, "cmp");
	nl_attr_be32(&b->buf, NFTA_CMP_SREG, NFT_REG_1);
	nl_attr_be32(&b->buf, NFTA_CMP_OP, op);
	data_value(b, NFTA_CMP_DATA, data, len);
	expr_end(b, e);
}

void nft_immediate(struct nft_batch *b, const void *data, size_t len)
{
	struct expr_nest e = expr_begin(b, "immediate");
	nl_attr_be32(&b->buf, NFTA_IMMEDIATE_DREG, NFT_REG_1);
	data_value(b, NFTA_IMMEDIATE_DATA, data, len);
	expr_end(b, e);
}

void nft_verdict(struct nft_batch *b, int32_t code)
{
	struct expr_nest e = expr_begin(b, "immediate");
	nl_attr_be32(&b->buf, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	size_t d = nl_nest_begin(&b->buf, NFTA_IMMEDIATE_DATA);
	size_t v = nl_nest_begin(&b->buf, NFTA_DATA_VERDICT);
	nl_attr_be32(&b->buf, NFTA_VERDICT_CODE, (uint32_t)code);
	nl_nest_end(&b->buf, v);
	nl_nest_end(&b->buf, d);
	expr_end(b, e);
}

void nft_redir_reg(struct nft_batch *b)
{
	struct expr_nest e = expr_begin(b, "redir");
	nl_attr_be32(&b->buf, NFTA_REDIR_REG_PROTO_MIN, NFT_REG_1);
	/* Kernels before 5.x only honour the port registers when the flag
	 * says so; later ones set it themselves. */
	nl_attr_be32(&b->buf, NFTA_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	expr_end(b, e);
}

void nft_reject(struct nft_batch *b, uint32_t type, uint8_t code)
{
	struct expr_nest e = expr_begin(b, "reject");
	nl_attr_be32(&b->buf, NFTA_REJECT_TYPE, type);
	if (type != NFT_REJECT_TCP_RST)
		nl_attr_u8(&b->buf, NFTA_REJECT_ICMP_CODE, code);
	expr_end(b, e);
}

static void describe(const struct nft_batch *b, uint32_t seq, struct nft_failure *f)
{
	uint32_t i = seq - b->seq0 - 1;
	if (i < b->nmsgs) {
		f->what = b->info[i].what;
		f->needs = b->info[i].needs;
	} else {
		/* Refusals of the whole batch (no permission, no nf_tables)
		 * come back on the begin marker. */
		f->what = "the batch";
		f->needs = "CONFIG_NF_TABLES";
	}
}

int nft_batch_commit(struct nft_batch *b, struct nft_failure *f)
{
	struct nft_failure scratch;
	if (!f)
		f = &scratch;
	*f = (struct nft_failure){ .what = "the batch", .needs = NULL };
	if (b->too_many || b->rule)
		return f->error = -E2BIG;
	size_t m = nl_msg_begin(&b->buf, NFNL_MSG_BATCH_END, NLM_F_REQUEST, b->seq0 + 1 + b->nmsgs);
	put_nfgenmsg(b, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nl_msg_end(&b->buf, m);

	_cleanup_close_ int fd = nl_open(NETLINK_NETFILTER);
	if (fd < 0) {
		f->what = "the nf_tables netlink socket";
		f->needs = "CONFIG_NETFILTER_NETLINK";
		return f->error = fd;
	}
	int r = nl_send(fd, &b->buf);
	if (r < 0)
		return f->error = r;
	struct nl_failure nf;
	r = nl_wait_acks(fd, b->seq0, b->seq0 + 1 + b->nmsgs, b->nmsgs, ACK_TIMEOUT_MS, &nf);
	if (r < 0) {
		f->error = r;
		if (nf.error) {
			describe(b, nf.seq, f);
			memcpy(f->why, nf.why, sizeof f->why);
		}
	}
	return r;
}
