// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: the generic netlink family "lwvhost" (attribute tree
 * in include/uapi/linux/lwvhost.h). DEV_GET (do and dump) reports params
 * and stats, DEV_SET changes params atomically, and the "monitor" group
 * hears about devices being opened and released. Everything needs
 * CAP_NET_ADMIN in the initial user namespace (the family lives in
 * init_net only).
 */
#include <net/genetlink.h>

#include "control.h"

static const struct nla_policy vhost_net_vq_policy[LWVHOST_A_VQ_MAX + 1] = {
	[LWVHOST_A_VQ_DIR] = NLA_POLICY_MAX(NLA_U32, LWVHOST_DIR_COUNT - 1),
	/* Ranges are left to vhost_pace_check(), whose message names them. */
#define VHOST_NET_KNOB_POLICY(name, min, max, attr, ...)		\
	[attr] = { .type = NLA_U32 },
	VHOST_PACE_KNOBS(VHOST_NET_KNOB_POLICY)
#undef VHOST_NET_KNOB_POLICY
};

static const struct nla_policy vhost_net_dev_policy[LWVHOST_A_DEV_MAX + 1] = {
	[LWVHOST_A_DEV_ID] = { .type = NLA_U32 },
	[LWVHOST_A_DEV_VQ] = NLA_POLICY_NESTED(vhost_net_vq_policy),
};

static struct genl_family vhost_net_genl_family;

static int vhost_net_put_stats(struct sk_buff *skb,
			       const struct vhost_vq_stats *st)
{
	const struct {
		int attr;
		u64 value;
	} stats[] = {
		{ LWVHOST_A_STAT_PACKETS, st->packets },
		{ LWVHOST_A_STAT_BYTES, st->bytes },
		{ LWVHOST_A_STAT_KICKS, st->kicks },
		{ LWVHOST_A_STAT_SIGNALS, st->signals },
		{ LWVHOST_A_STAT_SIGNALS_COALESCED, st->signals_coalesced },
		{ LWVHOST_A_STAT_POLLS, st->polls },
		{ LWVHOST_A_STAT_EMPTY_POLLS, st->empty_polls },
		{ LWVHOST_A_STAT_TIMER_WAKEUPS, st->timer_wakeups },
		{ LWVHOST_A_STAT_MODE_SWITCHES, st->mode_switches },
		{ LWVHOST_A_STAT_BUSY_NS, st->busy_ns },
		{ LWVHOST_A_STAT_ERRORS, st->errors },
		{ LWVHOST_A_STAT_IOTLB_MISSES, st->iotlb_misses },
		{ LWVHOST_A_STAT_IOTLB_UPDATES, st->iotlb_updates },
		{ LWVHOST_A_STAT_IOTLB_INVALIDATIONS, st->iotlb_invalidations },
		{ LWVHOST_A_STAT_SHARED_POLLS, st->shared_polls },
	};
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, LWVHOST_A_VQ_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(stats); i++)
		if (nla_put_u64_64bit(skb, stats[i].attr, stats[i].value,
				      LWVHOST_A_STAT_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vhost_net_put_vq(struct sk_buff *skb, enum lwvhost_dir dir,
			    const struct vhost_net_vq_snapshot *v)
{
	struct vhost_pace_params params = v->params;
	struct nlattr *nest;
	int k;

	nest = nla_nest_start(skb, LWVHOST_A_DEV_VQ);
	if (!nest ||
	    nla_put_u32(skb, LWVHOST_A_VQ_DIR, dir) ||
	    nla_put_string(skb, LWVHOST_A_VQ_IFNAME,
			   strcmp(v->ifname, "-") ? v->ifname : ""))
		return -EMSGSIZE;
	for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++)
		if (nla_put_u32(skb, vhost_net_knobs[k].attr,
				*vhost_net_knob(&params, k)))
			return -EMSGSIZE;
	if (nla_put_u32(skb, LWVHOST_A_VQ_MODE,
			v->polling ? LWVHOST_MODE_POLL : LWVHOST_MODE_EVENT) ||
	    vhost_net_put_stats(skb, &v->stats))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* One device message; only the id for a DEL notification. */
static int vhost_net_fill_dev(struct sk_buff *skb, struct vhost_net *n,
			      u32 portid, u32 seq, int flags, u8 cmd)
{
	struct vhost_net_snapshot *s = NULL;
	void *hdr;
	int dir;

	hdr = genlmsg_put(skb, portid, seq, &vhost_net_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, LWVHOST_A_DEV_ID, n->id))
		goto cancel;
	if (cmd == LWVHOST_CMD_DEV_DEL_NTF)
		goto done;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto cancel;
	vhost_net_snapshot(n, s);
	if (nla_put_u32(skb, LWVHOST_A_DEV_OWNER_PID, s->owner_pid) ||
	    nla_put_u32(skb, LWVHOST_A_DEV_WORKER_TID, s->worker_tid) ||
	    nla_put_u64_64bit(skb, LWVHOST_A_DEV_FEATURES, s->features,
			      LWVHOST_A_DEV_PAD))
		goto cancel;
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++)
		if (vhost_net_put_vq(skb, dir, &s->vq[dir]))
			goto cancel;
	kfree(s);
done:
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	kfree(s);
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vhost_net_genl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vhost_net *n;
	struct sk_buff *msg;
	int r;

	if (!info->attrs[LWVHOST_A_DEV_ID]) {
		NL_SET_ERR_MSG_MOD(info->extack, "device id missing");
		return -EINVAL;
	}
	n = vhost_net_get(nla_get_u32(info->attrs[LWVHOST_A_DEV_ID]));
	if (!n) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LWVHOST_A_DEV_ID],
				    "no such device");
		return -ENODEV;
	}
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		vhost_net_put(n);
		return -ENOMEM;
	}
	r = vhost_net_fill_dev(msg, n, info->snd_portid, info->snd_seq, 0,
			       LWVHOST_CMD_DEV_GET);
	vhost_net_put(n);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: the last device id sent; ids only grow along the list, so
 * devices opened or released between two parts neither repeat nor shift.
 */
static int vhost_net_genl_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct vhost_net *n;
	int r = 0;

	while ((n = vhost_net_get_next(cb->args[0]))) {
		r = vhost_net_fill_dev(skb, n, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       LWVHOST_CMD_DEV_GET);
		if (!r)
			cb->args[0] = n->id;
		vhost_net_put(n);
		if (r)
			break;
	}
	/* A full skb ends this part of the dump; the rest comes next call. */
	if (r && !skb->len)
		return r;
	return skb->len;
}

/*
 * Parse one LWVHOST_A_DEV_VQ nest of a DEV_SET request into params[dir]
 * (starting from the device's current values) and mark dir in *mask.
 */
static int vhost_net_genl_parse_vq(struct vhost_net *n,
				   const struct nlattr *nest,
				   struct vhost_pace_params *params,
				   unsigned int *mask,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LWVHOST_A_VQ_MAX + 1];
	const char *why;
	u32 dir;
	int k, r;

	r = nla_parse_nested(tb, LWVHOST_A_VQ_MAX, nest, vhost_net_vq_policy,
			     extack);
	if (r)
		return r;
	if (!tb[LWVHOST_A_VQ_DIR]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "queue direction missing");
		return -EINVAL;
	}
	dir = nla_get_u32(tb[LWVHOST_A_VQ_DIR]);
	if (*mask & BIT(dir)) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "direction given twice");
		return -EINVAL;
	}
	*mask |= BIT(dir);
	vhost_net_get_pace(n, dir, &params[dir]);
	for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++) {
		struct nlattr *a = tb[vhost_net_knobs[k].attr];

		if (!a)
			continue;
		*vhost_net_knob(&params[dir], k) = nla_get_u32(a);
		r = vhost_pace_check(&params[dir], &why);
		if (r) {
			/* why is a static string from the one validator. */
			NL_SET_BAD_ATTR(extack, a);
			if (extack)
				extack->_msg = why;
			return r;
		}
	}
	return 0;
}

static int vhost_net_genl_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vhost_pace_params params[LWVHOST_DIR_COUNT];
	unsigned int mask = 0;
	struct vhost_net *n;
	const struct nlattr *a;
	const char *why;
	int rem, r = 0;

	if (!info->attrs[LWVHOST_A_DEV_ID]) {
		NL_SET_ERR_MSG_MOD(info->extack, "device id missing");
		return -EINVAL;
	}
	if (!info->attrs[LWVHOST_A_DEV_VQ]) {
		NL_SET_ERR_MSG_MOD(info->extack, "nothing to set");
		return -EINVAL;
	}

	n = vhost_net_get(nla_get_u32(info->attrs[LWVHOST_A_DEV_ID]));
	if (!n) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LWVHOST_A_DEV_ID],
				    "no such device");
		return -ENODEV;
	}
	/*
	 * Hold the knobs still between reading the old values and applying.
	 * Only other control operations take ctl_mutex, and none of them
	 * waits for the device, so a wedged owner cannot block us here.
	 */
	mutex_lock(&n->ctl_mutex);
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) != LWVHOST_A_DEV_VQ)
			continue;
		r = vhost_net_genl_parse_vq(n, a, params, &mask, info->extack);
		if (r)
			break;
	}
	if (!r)
		r = vhost_net_set_pace(n, mask, params, &why);
	mutex_unlock(&n->ctl_mutex);
	vhost_net_put(n);
	return r;
}

static const struct genl_ops vhost_net_genl_ops[] = {
	{
		/* Device state is the host's business, not every user's. */
		.cmd = LWVHOST_CMD_DEV_GET,
		.doit = vhost_net_genl_get_doit,
		.dumpit = vhost_net_genl_get_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LWVHOST_CMD_DEV_SET,
		.doit = vhost_net_genl_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group vhost_net_genl_mcgrps[] = {
	{ .name = LWVHOST_GENL_MCGRP_MONITOR, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

static struct genl_family vhost_net_genl_family __ro_after_init = {
	.name = LWVHOST_GENL_NAME,
	.version = LWVHOST_GENL_VERSION,
	.maxattr = LWVHOST_A_DEV_MAX,
	.policy = vhost_net_dev_policy,
	.module = THIS_MODULE,
	/*
	 * No genl_mutex around our handlers: a handler must never make the
	 * whole of genetlink wait. Device lookups take references
	 * (vhost_net_get()), knob updates a per-device ctl_mutex.
	 */
	.parallel_ops = true,
	.ops = vhost_net_genl_ops,
	.n_ops = ARRAY_SIZE(vhost_net_genl_ops),
	.mcgrps = vhost_net_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vhost_net_genl_mcgrps),
};

/* Tell "monitor" listeners that n was opened or is being released. */
void vhost_net_genl_notify(struct vhost_net *n, u8 cmd)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&vhost_net_genl_family, &init_net, 0))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (vhost_net_fill_dev(msg, n, 0, 0, 0, cmd)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast(&vhost_net_genl_family, msg, 0, 0, GFP_KERNEL);
}

int vhost_net_genl_init(void)
{
	return genl_register_family(&vhost_net_genl_family);
}

void vhost_net_genl_exit(void)
{
	genl_unregister_family(&vhost_net_genl_family);
}
