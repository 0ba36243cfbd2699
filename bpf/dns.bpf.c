// SPDX-License-Identifier: GPL-2.0
/*
 * dns and network family (types 32-47).
 *
 * DNS: two cgroup_skb programs attached to the cgroup2 root see the packets of every
 * socket on the host, whatever its network namespace. Only port 53 is looked at: a query
 * leaving for port 53 (egress) and a response from port 53 (ingress); the resolver's own
 * side of the same exchange (ingress to 53, egress from 53) is left out, so a query to a
 * local resolver is reported once. The DNS message itself is copied (a bounded prefix)
 * and parsed in user space, where a malformed packet costs a counter, not a verifier fight.
 *
 * Attribution: a UDP query, and a TCP query's first segment, leave synchronously inside the
 * sender's send syscall, so `current` is the sender there; this is checked (the syscall's
 * first argument is an fd whose socket is the packet's) rather than assumed, because
 * egress also runs in softirq context on behalf of whichever task was interrupted. The
 * querier is remembered per socket (dns_owner) for its response and for later segments.
 * A packet nobody can be told for is still sent, flagged DNS_F_UNATTRIBUTED and counted.
 *
 * Network: connect, accept, accept4 and bind of inet sockets on their sys_exit tracepoint.
 * Program names: sk_dns_egress, sk_dns_ingress, x_<syscall>.
 */
#include "syscall.h"
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define AF_INET 2
#define AF_INET6 10
#define DNS_PORT 53
#define IP_OFFMASK 0x1fff
#define SK_PASS 1

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct dns_pkt {
	__u32 l4_off;      /* the UDP or TCP header */
	__u32 payload_off; /* the DNS message (TCP: its length prefix) */
	__u16 l3;
	__u16 l4;
};

/*
 * The test every packet of the host pays: false when the linear part of the packet shows it
 * is not UDP/TCP to (or, for a response, from) port 53. Direct reads, no helper call; what
 * it cannot see (a header outside the linear part) goes on to dns_parse.
 */
static __always_inline bool maybe_dns(struct __sk_buff *skb, bool response)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u16 *ports;
	__u32 l4;
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end)
			return true;
		proto = ip->protocol;
		l4 = (ip->ihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end)
			return true;
		proto = ip6->nexthdr;
		l4 = sizeof(*ip6);
	} else {
		return false;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return false;
	ports = data + l4;
	if ((void *)(ports + 2) > end)
		return true;
	return bpf_ntohs(ports[response ? 0 : 1]) == DNS_PORT;
}

/* Parses the IP and L4 headers; false for anything but a UDP/TCP packet with a payload
 * to or from port 53 in the direction this program reports. */
static __always_inline bool dns_parse(struct __sk_buff *skb, bool response, struct dns_pkt *p,
				      struct net_addr *src, struct net_addr *dst)
{
	__u16 ports[2];
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
			return false;
		if (ip.protocol != IPPROTO_UDP && ip.protocol != IPPROTO_TCP)
			return false;
		if (ip.frag_off & bpf_htons(IP_OFFMASK)) /* a later fragment: no L4 header */
			return false;
		proto = ip.protocol;
		p->l4_off = ip.ihl * 4;
		p->l3 = ETH_P_IP;
		__builtin_memcpy(src->ip, &ip.saddr, 4);
		__builtin_memcpy(dst->ip, &ip.daddr, 4);
		src->family = dst->family = AF_INET;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			return false;
		/* extension headers are not walked: DNS packets do not carry them */
		if (ip6.nexthdr != IPPROTO_UDP && ip6.nexthdr != IPPROTO_TCP)
			return false;
		proto = ip6.nexthdr;
		p->l4_off = sizeof(ip6);
		p->l3 = ETH_P_IPV6;
		__builtin_memcpy(src->ip, &ip6.saddr, 16);
		__builtin_memcpy(dst->ip, &ip6.daddr, 16);
		src->family = dst->family = AF_INET6;
	} else {
		return false;
	}
	if (bpf_skb_load_bytes(skb, p->l4_off, ports, sizeof(ports)) < 0)
		return false;
	src->port = bpf_ntohs(ports[0]);
	dst->port = bpf_ntohs(ports[1]);
	if ((response ? src->port : dst->port) != DNS_PORT)
		return false;
	p->l4 = proto;
	if (proto == IPPROTO_UDP) {
		p->payload_off = p->l4_off + 8;
	} else {
		__u8 doff;

		if (bpf_skb_load_bytes(skb, p->l4_off + 12, &doff, 1) < 0)
			return false;
		p->payload_off = p->l4_off + (doff >> 4) * 4;
	}
	return skb->len > p->payload_off; /* a bare TCP ACK or SYN carries no message */
}

/* Is the current task inside a send on this socket? (The syscall's first argument is the
 * fd of every send call: write, writev, send, sendto, sendmsg, sendmmsg.) */
static __always_inline bool sender_is_current(struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct file *f;

	if (!sock)
		return false;
	f = fd_file(ARG1(syscall_regs()));
	return f && BPF_CORE_READ(f, private_data) == (void *)sock;
}

static __always_inline int dns_packet(struct __sk_buff *skb, bool response)
{
	__u32 type = response ? EVENT_DNS_RESPONSE : EVENT_DNS;
	struct net_addr src = {}, dst = {};
	struct dns_packet_event *e;
	struct event_header *owner;
	struct filter_state fs;
	struct ev_scratch *ev;
	struct dns_pkt p = {};
	struct sk_buff *kskb;
	struct sock *sk;
	__u64 key;
	__u32 len;
	bool current_sender = false;

	if (!maybe_dns(skb, response) || !dns_parse(skb, response, &p, &src, &dst))
		return SK_PASS;
	if (!filter_enter(type, &fs))
		return SK_PASS;
	kskb = bpf_cast_to_kern_ctx(skb);
	sk = BPF_CORE_READ(kskb, sk);
	ev = scratch();
	if (!ev || !sk)
		return SK_PASS;
	/* a cookie is never reused, unlike the socket's address: a stale owner cannot match */
	key = bpf_get_socket_cookie(skb);
	e = (struct dns_packet_event *)ev->data;
	e->flags = 0;
	if (!response && sender_is_current(sk)) {
		current_sender = true;
		fill_header_current(&e->hdr, type);
		/* the sensor's own queries too: their responses must be known as its own */
		bpf_map_update_elem(&dns_owner, &key, &e->hdr, BPF_ANY);
		if (e->hdr.pid == self_tgid)
			return SK_PASS;
	} else {
		owner = bpf_map_lookup_elem(&dns_owner, &key);
		if (owner) {
			if (owner->pid == self_tgid)
				return SK_PASS;
			__builtin_memcpy(&e->hdr, owner, sizeof(e->hdr));
			e->hdr.type = type;
			e->hdr.cpu = bpf_get_smp_processor_id();
			e->hdr.ts_ns = bpf_ktime_get_boot_ns();
		} else {
			__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
			header_start(&e->hdr, type);
			e->hdr.cgroup_id = bpf_skb_cgroup_id(skb);
			e->flags |= DNS_F_UNATTRIBUTED;
			count_drop(DROP_NET_UNATTRIBUTED);
		}
	}
	/* an executable approver can only be checked on the task that runs */
	if (fs.mode == FILTER_APPROVE && current_sender && !approved_by_process(&fs))
		return SK_PASS;
	if (p.l4 == IPPROTO_TCP)
		e->flags |= DNS_F_TCP;
	if (response)
		e->flags |= DNS_F_RESPONSE;
	e->size = skb->len;
	e->l3_protocol = p.l3;
	e->l4_protocol = p.l4;
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->source = src;
	e->destination = dst;
	e->payload_off = sizeof(*e);
	e->payload_full = skb->len - p.payload_off;
	len = e->payload_full;
	if (len > VIGIL_DNS_PAYLOAD_MAX) {
		len = VIGIL_DNS_PAYLOAD_MAX;
		e->flags |= DNS_F_TRUNCATED;
		count_drop(DROP_DNS_TRUNCATED);
	}
	/* 1..VIGIL_DNS_PAYLOAD_MAX by construction (dns_parse saw a payload), in a form the
	 * verifier follows into the helper call (a power-of-two maximum) */
	len = BOUNDED(len - 1, VIGIL_DNS_PAYLOAD_MAX - 1) + 1;
	if (bpf_skb_load_bytes(skb, p.payload_off, &ev->data[sizeof(*e)], len) < 0)
		return SK_PASS;
	e->payload_len = len;
	emit(skb, ev, sizeof(*e) + len, type);
	return SK_PASS;
}

SEC("cgroup_skb/egress")
int sk_dns_egress(struct __sk_buff *skb)
{
	return dns_packet(skb, false);
}

SEC("cgroup_skb/ingress")
int sk_dns_ingress(struct __sk_buff *skb)
{
	return dns_packet(skb, true);
}

/* ---- connect, accept, accept4, bind ---- */

/* The socket behind an fd, or NULL when the fd is not a socket. */
static __always_inline struct socket *fd_socket(long fd)
{
	struct file *f = fd_file(fd);
	struct socket *sock;

	if (!f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	/* a socket's file points back at it; any other file's private data does not */
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	return sock;
}

/* a := the socket's own address (peer: the remote end) */
static __always_inline void sock_addr(struct sock *sk, struct net_addr *a, bool peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	__builtin_memset(a, 0, sizeof(*a));
	if (family != AF_INET && family != AF_INET6)
		return;
	a->family = family;
	if (peer)
		a->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	else
		a->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET) {
		__u32 ip = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(a->ip, &ip, 4);
	} else if (peer) {
		BPF_CORE_READ_INTO(&a->ip, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO(&a->ip, sk, __sk_common.skc_v6_rcv_saddr);
	}
}

/* a := a user sockaddr; false unless it is AF_INET or AF_INET6 */
static __always_inline bool user_addr(const void *uaddr, struct net_addr *a)
{
	struct sockaddr_in6 sa = {};

	__builtin_memset(a, 0, sizeof(*a));
	if (!uaddr || bpf_probe_read_user(&sa.sin6_family, sizeof(sa.sin6_family), uaddr) < 0)
		return false;
	if (sa.sin6_family == AF_INET) {
		struct sockaddr_in in = {};

		if (bpf_probe_read_user(&in, sizeof(in), uaddr) < 0)
			return false;
		__builtin_memcpy(a->ip, &in.sin_addr, 4);
		a->port = bpf_ntohs(in.sin_port);
	} else if (sa.sin6_family == AF_INET6) {
		if (bpf_probe_read_user(&sa, sizeof(sa), uaddr) < 0)
			return false;
		__builtin_memcpy(a->ip, &sa.sin6_addr, 16);
		a->port = bpf_ntohs(sa.sin6_port);
	} else {
		return false;
	}
	a->family = sa.sin6_family;
	return true;
}

static __always_inline bool inet_socket(struct socket *sock)
{
	__u16 family;

	if (!sock)
		return false;
	family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	return family == AF_INET || family == AF_INET6;
}

/*
 * One network_socket_event. addr: the address given (connect, bind), or NULL for accept,
 * whose peer is read from the new socket. Unix and other non-inet sockets are not events.
 */
static __always_inline int do_socket(void *ctx, __u32 type, long ret, long fd, const void *uaddr)
{
	struct network_socket_event *e;
	struct filter_state fs;
	struct ev_scratch *ev;
	struct net_addr given;
	struct socket *sock;
	struct sock *sk;

	if (is_self())
		return 0;
	/* the socket the event is about: accept's new one, else the one the call was made on */
	sock = fd_socket(type == EVENT_ACCEPT ? ret : fd);
	if (uaddr) {
		if (!user_addr(uaddr, &given))
			return 0;
	} else if (!inet_socket(sock)) {
		return 0;
	}
	if (!filter_enter(type, &fs) || !approved_by_process(&fs))
		return 0;
	ev = scratch();
	if (!ev)
		return 0;
	e = (struct network_socket_event *)ev->data;
	e->ret = ret;
	e->fd = fd;
	e->protocol = 0;
	e->sock_type = 0;
	__builtin_memset(&e->local, 0, sizeof(e->local));
	if (uaddr)
		e->addr = given;
	else
		__builtin_memset(&e->addr, 0, sizeof(e->addr));
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (sk) {
		e->protocol = BPF_CORE_READ(sk, sk_protocol);
		e->sock_type = BPF_CORE_READ(sk, sk_type);
		sock_addr(sk, &e->local, false);
		if (!uaddr)
			sock_addr(sk, &e->addr, true);
	}
	send(ctx, ev, sizeof(*e), type);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int x_connect(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_socket(ctx, EVENT_CONNECT, ctx->ret, (int)ARG1(r), (const void *)ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_bind")
int x_bind(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_socket(ctx, EVENT_BIND, ctx->ret, (int)ARG1(r), (const void *)ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_accept")
int x_accept(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	if (ctx->ret < 0)
		return 0; /* nothing was accepted: no peer to report */
	return do_socket(ctx, EVENT_ACCEPT, ctx->ret, (int)ARG1(r), NULL);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int x_accept4(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	if (ctx->ret < 0)
		return 0;
	return do_socket(ctx, EVENT_ACCEPT, ctx->ret, (int)ARG1(r), NULL);
}
