/*
 * ftpscope-ctreader: reads the kernel's conntrack and expectation tables for the ftpscope collector, over
 * libnetfilter_conntrack, and prints only what concerns FTP as one tab-separated record per line.
 *
 *   ftpscope-ctreader events [--ports 21,2121] [--passive MIN-MAX] [--buffer BYTES] [--max-buffer BYTES]
 *   ftpscope-ctreader list   [--ports 21,2121] [--passive MIN-MAX]
 *   ftpscope-ctreader --version
 *
 * Why a program of its own: `conntrack -E` cannot filter events by port, helper or master, so on a busy host
 * every TCP event of the host was printed, piped and parsed in JavaScript, then thrown away. Here a socket
 * filter (classic BPF over the netlink attributes, the technique libnetfilter_conntrack's own filter uses)
 * drops non-FTP events in the kernel before they are queued to us, and the same test runs again in user
 * space (it is the only one for listings, which come in batches a socket filter cannot split).
 *
 * An entry is FTP-related when it is TCP and any of: it was created from an expectation (status EXPECTED;
 * its NEW event carries the master tuple), it has the helper "ftp", its original destination port is a
 * control port or in the passive range, or its original source port is 20 or a control port minus one
 * (active mode). Every expectation is printed (the table is small by nature). Events only: a data connection's
 * (not a control port's) updates to the passing TCP states SYN_RECV, FIN_WAIT, CLOSE_WAIT, LAST_ACK and SYN_SENT2
 * are not printed: the collector shows NEW, ESTABLISHED, the close (TIME_WAIT or CLOSE) and DESTROY, and these
 * were three of a passive data connection's seven lines. The socket filter drops them too, so they are not
 * parsed (the reader's CPU under bench 2's load: 0.67×, bench/tools/ab-reader.ts). Listings print every state.
 *
 * Output (stdout), one tab-separated record per line, "-" where a value is absent:
 *   R buffer kernelFilter(0|1)           subscribed (events mode): nothing after this point is missed
 *   C event at family timeout state orig(4) reply(4) flags helper id bytes master(4)
 *                                        a conntrack event, or a listed entry (event and at "-")
 *   X event at family timeout protonum tuple(4) master(4) helper
 *                                        an expectation event or listed expectation
 *   L buffer                             events were lost (ENOBUFS); the receive buffer is now `buffer`
 *   D conns expects seen                 end of a listing
 *   S parsed printed                     on SIGUSR1 (events mode): conntrack messages that reached user space
 *                                        and those printed, since the start (equal when the socket filter
 *                                        dropped everything the reader does not print)
 * (a tuple is src dst sport dport; family 4 or 6; flags u = unreplied, a = assured; at in epoch ms).
 * Errors go to stderr; exit 3 = no privilege, 2 = bad arguments, 1 = anything else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#ifndef CTREADER_VERSION
#define CTREADER_VERSION "dev"
#endif
#define MAX_PORTS 64
/* Pause after each burst of events (see run_events). */
#define GATHER_NS (10 * 1000 * 1000)
#define ACCEPT 0xffffffffU
#define REJECT 0U

static uint16_t ports[MAX_PORTS];
static int nports;
static int pasv_min = -1, pasv_max = -1;
static unsigned long seen, conns, expects;

static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

static void die(int code, const char *what)
{
	fprintf(stderr, "ftpscope-ctreader: %s: %s\n", what, strerror(errno));
	exit(errno == EPERM || errno == EACCES ? 3 : code);
}

static long long now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- the FTP test, in user space ---- */

static int is_ctrl_port(unsigned p)
{
	for (int i = 0; i < nports; i++)
		if (ports[i] == p)
			return 1;
	return 0;
}

static int ftp_ports(unsigned sport, unsigned dport)
{
	if (is_ctrl_port(dport) || sport == 20 || (sport > 0 && is_ctrl_port(sport + 1)))
		return 1;
	return pasv_min >= 0 && (int)dport >= pasv_min && (int)dport <= pasv_max;
}

static int ftp_related(const struct nf_conntrack *ct)
{
	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_TCP)
		return 0;
	if (nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_EXPECTED)
		return 1;
	if (nfct_attr_is_set(ct, ATTR_MASTER_L3PROTO) > 0)
		return 1;
	const char *helper = nfct_get_attr(ct, ATTR_HELPER_NAME);
	if (helper && strcmp(helper, "ftp") == 0)
		return 1;
	return ftp_ports(ntohs(nfct_get_attr_u16(ct, ATTR_PORT_SRC)), ntohs(nfct_get_attr_u16(ct, ATTR_PORT_DST)));
}

/* A data connection's update to a state it only passes through (see the header); not printed. */
static int transient_data_update(const struct nf_conntrack *ct)
{
	if (nfct_attr_is_set(ct, ATTR_TCP_STATE) <= 0)
		return 0;
	switch (nfct_get_attr_u8(ct, ATTR_TCP_STATE)) {
	case TCP_CONNTRACK_SYN_RECV:
	case TCP_CONNTRACK_FIN_WAIT:
	case TCP_CONNTRACK_CLOSE_WAIT:
	case TCP_CONNTRACK_LAST_ACK:
	case TCP_CONNTRACK_SYN_SENT2:
		return !is_ctrl_port(ntohs(nfct_get_attr_u16(ct, ATTR_PORT_DST)));
	default:
		return 0;
	}
}

/* ---- output: one tab-separated record per line ---- */

static char line[2048];
static size_t len;

static void put(const char *s)
{
	size_t n = strlen(s);
	if (len + n < sizeof(line) - 1) {
		memcpy(line + len, s, n);
		len += n;
	}
}

/* A field: tab, then the text (tabs and line ends cannot occur in what we print, but are replaced anyway). */
static void field(const char *s)
{
	if (len + 1 < sizeof(line) - 1)
		line[len++] = '\t';
	for (; *s && len < sizeof(line) - 2; s++)
		line[len++] = (*s == '\t' || *s == '\n' || *s == '\r') ? '?' : *s;
}

static void field_u(unsigned long long v)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	*--p = 0;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	field(p);
}

static void field_addr(int family, const void *addr)
{
	char buf[INET6_ADDRSTRLEN];
	if (addr && family == AF_INET) {
		/* glibc's inet_ntop formats IPv4 with sprintf: a noticeable share of the reader's time under load. */
		const uint8_t *b = addr;
		char *p = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = b[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : 0;
		}
		field(buf);
		return;
	}
	field(addr && inet_ntop(family, addr, buf, sizeof(buf)) ? buf : "?");
}

/* Four fields src, dst, sport, dport from one direction's attributes of a conntrack object. */
static void field_tuple(const struct nf_conntrack *ct, int family, int src4, int dst4, int src6, int dst6,
			int sport, int dport)
{
	int v4 = family == AF_INET;
	field_addr(family, nfct_get_attr(ct, v4 ? src4 : src6));
	field_addr(family, nfct_get_attr(ct, v4 ? dst4 : dst6));
	field_u(ntohs(nfct_get_attr_u16(ct, sport)));
	field_u(ntohs(nfct_get_attr_u16(ct, dport)));
}

static void field_orig(const struct nf_conntrack *ct, int family)
{
	field_tuple(ct, family, ATTR_IPV4_SRC, ATTR_IPV4_DST, ATTR_IPV6_SRC, ATTR_IPV6_DST, ATTR_PORT_SRC,
		    ATTR_PORT_DST);
}

/* The record's kind letter, event (- for a listing) and receive time in ms (- for a listing). */
static void begin(const char *kind, enum nf_conntrack_msg_type type, long long at)
{
	len = 0;
	put(kind);
	field(type == NFCT_T_NEW ? "NEW" : type == NFCT_T_UPDATE ? "UPDATE" : type == NFCT_T_DESTROY ? "DESTROY" : "-");
	if (at >= 0)
		field_u((unsigned long long)at);
	else
		field("-");
}

static void end_line(void)
{
	line[len++] = '\n';
	fwrite(line, 1, len, stdout);
	len = 0;
}

/*
 * C event at family timeout state osrc odst osport odport rsrc rdst rsport rdport flags helper id bytes
 *   msrc mdst msport mdport   (flags: u = unreplied, a = assured, or -; absent values are -)
 */
static void print_ct(enum nf_conntrack_msg_type type, const struct nf_conntrack *ct, long long at)
{
	int family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	uint32_t status = nfct_get_attr_u32(ct, ATTR_STATUS);
	begin("C", type, at);
	field(family == AF_INET6 ? "6" : "4");
	field_u(nfct_get_attr_u32(ct, ATTR_TIMEOUT));
	uint8_t state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	int has_state = nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0 && state < sizeof(tcp_states) / sizeof(tcp_states[0]);
	field(has_state ? tcp_states[state] : "-");
	field_orig(ct, family);
	field_tuple(ct, family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_SRC, ATTR_REPL_IPV6_DST,
		    ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST);
	int unreplied = nfct_attr_is_set(ct, ATTR_STATUS) > 0 && !(status & IPS_SEEN_REPLY);
	int assured = (status & IPS_ASSURED) != 0;
	field(unreplied ? (assured ? "ua" : "u") : (assured ? "a" : "-"));
	const char *helper = nfct_get_attr(ct, ATTR_HELPER_NAME);
	field(helper && *helper ? helper : "-");
	field_u(nfct_get_attr_u32(ct, ATTR_ID));
	if (nfct_attr_is_set(ct, ATTR_ORIG_COUNTER_BYTES) > 0)
		field_u(nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES) + nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES));
	else
		field("-");
	if (nfct_attr_is_set(ct, ATTR_MASTER_L3PROTO) > 0)
		field_tuple(ct, nfct_get_attr_u8(ct, ATTR_MASTER_L3PROTO), ATTR_MASTER_IPV4_SRC, ATTR_MASTER_IPV4_DST,
			    ATTR_MASTER_IPV6_SRC, ATTR_MASTER_IPV6_DST, ATTR_MASTER_PORT_SRC, ATTR_MASTER_PORT_DST);
	else
		for (int i = 0; i < 4; i++)
			field("-");
	end_line();
	conns++;
}

/* X event at family timeout protonum src dst sport dport msrc mdst msport mdport helper */
static void print_exp(enum nf_conntrack_msg_type type, const struct nf_expect *exp, long long at)
{
	const struct nf_conntrack *tuple = nfexp_get_attr(exp, ATTR_EXP_EXPECTED);
	const struct nf_conntrack *master = nfexp_get_attr(exp, ATTR_EXP_MASTER);
	if (!tuple || !master)
		return;
	int family = nfct_get_attr_u8(tuple, ATTR_L3PROTO);
	begin("X", type, at);
	field(family == AF_INET6 ? "6" : "4");
	field_u(nfexp_get_attr_u32(exp, ATTR_EXP_TIMEOUT));
	field_u(nfct_get_attr_u8(tuple, ATTR_L4PROTO));
	field_orig(tuple, family);
	field_orig(master, nfct_get_attr_u8(master, ATTR_L3PROTO));
	const char *helper = nfexp_get_attr(exp, ATTR_EXP_HELPER_NAME);
	field(helper && *helper ? helper : "-");
	end_line();
	expects++;
}

static int on_ct(const struct nlmsghdr *nlh, enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	(void)nlh;
	const int listing = *(const int *)data;
	seen++;
	if (!listing && type == NFCT_T_UPDATE && transient_data_update(ct))
		return NFCT_CB_CONTINUE;
	if (ftp_related(ct))
		print_ct(listing ? NFCT_T_UNKNOWN : type, ct, listing ? -1 : now_ms());
	return NFCT_CB_CONTINUE;
}

static int on_exp(const struct nlmsghdr *nlh, enum nf_conntrack_msg_type type, struct nf_expect *exp, void *data)
{
	(void)nlh;
	const int listing = *(const int *)data;
	print_exp(listing ? NFCT_T_UNKNOWN : type, exp, listing ? -1 : now_ms());
	return NFCT_CB_CONTINUE;
}

/* ---- the same test as a socket filter, so non-FTP events are dropped in the kernel ---- */

#define MAX_INSNS 512
static struct sock_filter prog[MAX_INSNS];
static int pc;
/* Conditional jumps to patch once the verdicts' positions are known: which branch goes where. */
static struct patch {
	int at;
	int on_true; /* 1: jt, 0: jf */
	int accept;  /* 1: to ACCEPT, 0: to REJECT */
} patches[MAX_INSNS];
static int npatches;

static void emit(uint16_t code, uint32_t k)
{
	if (pc < MAX_INSNS)
		prog[pc] = (struct sock_filter){ .code = code, .k = k };
	pc++;
}

/* A conditional jump on A vs k whose true (or false) branch goes to a verdict; the other falls through. */
static void jump(uint16_t op, uint32_t k, int on_true, int accept)
{
	patches[npatches++] = (struct patch){ .at = pc, .on_true = on_true, .accept = accept };
	emit(BPF_JMP | op | BPF_K, k);
}

/* A = offset of attribute `type` among the top-level attributes (0 when absent). */
static void find_attr(uint32_t type)
{
	emit(BPF_LD | BPF_IMM, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
	emit(BPF_LDX | BPF_IMM, type);
	emit(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR);
}

/* A = offset of attribute `type` inside the nested attribute at offset A (0 when absent). */
static void find_nested(uint32_t type)
{
	emit(BPF_LDX | BPF_IMM, type);
	emit(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR_NEST);
}

/* A = the (big-endian) value of size BPF_B/H/W of the attribute at offset A. */
static void load_value(uint16_t size)
{
	emit(BPF_MISC | BPF_TAX, 0);
	emit(BPF_LD | size | BPF_IND, sizeof(struct nlattr));
}

/* Jumps to a label inside the program (not a verdict), patched when place() puts the label. */
#define MAX_FWD (MAX_PORTS + 16)
static struct fwd {
	int at;
	int on_true;
	int label;
} fwd[MAX_FWD];
static int nfwd;
/* A jump that did not fit: the filter is not attached (user space still filters). */
static int misfit;

static void jump_to(uint16_t op, uint32_t k, int on_true, int label)
{
	if (nfwd < MAX_FWD)
		fwd[nfwd++] = (struct fwd){ .at = pc, .on_true = on_true, .label = label };
	else
		misfit = 1;
	emit(BPF_JMP | op | BPF_K, k);
}

static void place(int label)
{
	for (int i = 0; i < nfwd; i++) {
		if (fwd[i].label != label || fwd[i].at >= MAX_INSNS)
			continue;
		int off = pc - fwd[i].at - 1;
		if (off > 255)
			misfit = 1;
		if (fwd[i].on_true)
			prog[fwd[i].at].jt = (uint8_t)off;
		else
			prog[fwd[i].at].jf = (uint8_t)off;
	}
}

/* The byte of a 16-bit host-order field of nlmsghdr that holds bit `bit` (the filter loads bytes). */
static uint32_t host_byte(size_t field, unsigned bit)
{
	const uint16_t probe = 1;
	const int little = *(const uint8_t *)&probe == 1;
	return (uint32_t)field + ((bit >= 8) == little ? 1 : 0);
}

/*
 * An update of a data connection to a state it only passes through (transient_data_update): a third of a
 * passive data connection's events, dropped here so that they are neither queued nor parsed. An update is
 * IPCTNL_MSG_CT_NEW without NLM_F_CREATE; its TCP state is in CTA_PROTOINFO > CTA_PROTOINFO_TCP.
 */
static void filter_transient(void)
{
	enum { KEEP = 1, TRANSIENT = 2 };
	emit(BPF_LD | BPF_B | BPF_ABS, host_byte(offsetof(struct nlmsghdr, nlmsg_type), 0));
	jump_to(BPF_JEQ, IPCTNL_MSG_CT_NEW, 0, KEEP);
	emit(BPF_LD | BPF_B | BPF_ABS, host_byte(offsetof(struct nlmsghdr, nlmsg_flags), 10));
	jump_to(BPF_JSET, (NLM_F_CREATE >> 8) & 0xff, 1, KEEP);
	find_attr(CTA_PROTOINFO);
	jump_to(BPF_JEQ, 0, 1, KEEP);
	find_nested(CTA_PROTOINFO_TCP);
	jump_to(BPF_JEQ, 0, 1, KEEP);
	find_nested(CTA_PROTOINFO_TCP_STATE);
	jump_to(BPF_JEQ, 0, 1, KEEP);
	load_value(BPF_B);
	static const uint8_t passing[] = { TCP_CONNTRACK_SYN_RECV, TCP_CONNTRACK_FIN_WAIT, TCP_CONNTRACK_CLOSE_WAIT,
					   TCP_CONNTRACK_LAST_ACK, TCP_CONNTRACK_SYN_SENT2 };
	for (size_t i = 0; i < sizeof(passing); i++)
		jump_to(BPF_JEQ, passing[i], 1, TRANSIENT);
	jump_to(BPF_JGE, 0, 1, KEEP); /* always true: classic BPF's JA takes no patched offset */
	place(TRANSIENT);
	/* A control connection's updates are all kept. */
	emit(BPF_LD | BPF_MEM, 0);
	find_nested(CTA_PROTO_DST_PORT);
	jump_to(BPF_JEQ, 0, 1, KEEP);
	load_value(BPF_H);
	for (int i = 0; i < nports; i++)
		jump_to(BPF_JEQ, ports[i], 1, KEEP);
	jump(BPF_JGE, 0, 1, 0); /* a data connection's passing state: rejected */
	place(KEEP);
}

/*
 * Builds the filter into prog; returns its length, or -1 when it does not fit (too many ports). `transient`:
 * with filter_transient's test (one more instruction per control port).
 */
static int build_filter(int transient)
{
	/* The subsystem is the high byte of nlmsg_type, which is in host byte order. */
	const uint16_t probe = 1;
	const uint32_t subsys = offsetof(struct nlmsghdr, nlmsg_type) + (*(const uint8_t *)&probe == 1 ? 1 : 0);
	pc = npatches = nfwd = misfit = 0;
	emit(BPF_LD | BPF_B | BPF_ABS, subsys);
	jump(BPF_JEQ, NFNL_SUBSYS_CTNETLINK_EXP, 1, 1); /* every expectation */
	/* TCP only: orig tuple, its proto nest (kept in M[0] for the ports), the protocol number. */
	find_attr(CTA_TUPLE_ORIG);
	jump(BPF_JEQ, 0, 1, 0);
	find_nested(CTA_TUPLE_PROTO);
	jump(BPF_JEQ, 0, 1, 0);
	emit(BPF_ST, 0);
	find_nested(CTA_PROTO_NUM);
	jump(BPF_JEQ, 0, 1, 0);
	load_value(BPF_B);
	jump(BPF_JEQ, IPPROTO_TCP, 0, 0);
	if (transient)
		filter_transient();
	/* Created from an expectation: every event of a data connection the helper announced. */
	find_attr(CTA_STATUS);
	emit(BPF_JMP | BPF_JEQ | BPF_K, 0);
	prog[pc - 1].jt = 3; /* no status: skip its test (TAX, LD, JSET) */
	load_value(BPF_W);
	jump(BPF_JSET, IPS_EXPECTED, 1, 1);
	/* A helper (user space keeps only "ftp"), or a master tuple. */
	find_attr(CTA_HELP);
	jump(BPF_JGT, 0, 1, 1);
	find_attr(CTA_TUPLE_MASTER);
	jump(BPF_JGT, 0, 1, 1);
	/* Original destination port: a control port, or in the passive range. */
	emit(BPF_LD | BPF_MEM, 0);
	find_nested(CTA_PROTO_DST_PORT);
	jump(BPF_JEQ, 0, 1, 0);
	load_value(BPF_H);
	for (int i = 0; i < nports; i++)
		jump(BPF_JEQ, ports[i], 1, 1);
	if (pasv_min >= 0) {
		emit(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)pasv_min);
		prog[pc - 1].jf = 1; /* below the range: skip the upper bound */
		jump(BPF_JGT, (uint32_t)pasv_max, 0, 1);
	}
	/* Original source port 20, or a control port minus one: active mode without a helper. */
	emit(BPF_LD | BPF_MEM, 0);
	find_nested(CTA_PROTO_SRC_PORT);
	jump(BPF_JEQ, 0, 1, 0);
	load_value(BPF_H);
	jump(BPF_JEQ, 20, 1, 1);
	for (int i = 0; i < nports; i++)
		if (ports[i] > 1)
			jump(BPF_JEQ, ports[i] - 1u, 1, 1);
	const int reject = pc;
	emit(BPF_RET | BPF_K, REJECT);
	const int accept = pc;
	emit(BPF_RET | BPF_K, ACCEPT);
	if (pc > MAX_INSNS || misfit)
		return -1;
	for (int i = 0; i < npatches; i++) {
		const struct patch *p = &patches[i];
		int off = (p->accept ? accept : reject) - p->at - 1;
		if (off > 255)
			return -1;
		if (p->on_true)
			prog[p->at].jt = (uint8_t)off;
		else
			prog[p->at].jf = (uint8_t)off;
	}
	return pc;
}

/* ---- modes ---- */

static int set_buffer(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	int got = 0;
	socklen_t sl = sizeof(got);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
	return got;
}

/* SIGUSR1 asks for the counts (events mode): set here, printed by run_events' loop. */
static volatile sig_atomic_t want_counts;

static void on_usr1(int sig)
{
	(void)sig;
	want_counts = 1;
}

static int run_events(int buffer, int max_buffer)
{
	/* SIGUSR1 is let in only while waiting in ppoll, which it then interrupts: no request waits for an event. */
	sigset_t usr1, waiting;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &waiting);
	sigdelset(&waiting, SIGUSR1);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);
	struct nfct_handle *h = nfct_open(NFNL_SUBSYS_NONE, NFCT_ALL_CT_GROUPS | NF_NETLINK_CONNTRACK_EXP_NEW |
						       NF_NETLINK_CONNTRACK_EXP_DESTROY);
	if (!h)
		die(1, "cannot subscribe to conntrack events");
	static const int listing = 0;
	nfct_callback_register2(h, NFCT_T_ALL, on_ct, (void *)&listing);
	nfexp_callback_register2(h, NFCT_T_ALL, on_exp, (void *)&listing);
	int fd = nfct_fd(h);
	int got = set_buffer(fd, buffer);
	int filtered = 0;
	/* Without the passing-states test when both do not fit (some 60 control ports). */
	if (build_filter(1) > 0 || build_filter(0) > 0) {
		struct sock_fprog fp = { .len = (unsigned short)pc, .filter = prog };
		filtered = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == 0;
		if (!filtered)
			fprintf(stderr, "ftpscope-ctreader: kernel filter not attached (%s); filtering in user space\n",
				strerror(errno));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	printf("R\t%d\t%d\n", got, filtered);
	fflush(stdout);
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDOUT_FILENO, .events = 0 } };
	for (;;) {
		int ready = ppoll(pfd, 2, NULL, &waiting);
		if (want_counts) {
			want_counts = 0;
			printf("S\t%lu\t%lu\n", seen, conns);
			fflush(stdout);
		}
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll");
		}
		if (pfd[1].revents & (POLLERR | POLLHUP))
			return 0; /* the collector is gone */
		if (!(pfd[0].revents & POLLIN))
			continue;
		/* Drain everything queued, then write it out in one go. */
		for (;;) {
			if (nfct_catch(h) >= 0)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				if (buffer < max_buffer) {
					buffer = buffer * 2 > max_buffer ? max_buffer : buffer * 2;
					got = set_buffer(fd, buffer);
				}
				printf("L\t%d\n", got);
				continue;
			}
			die(1, "reading conntrack events");
		}
		if (fflush(stdout) != 0)
			return 0;
		/*
		 * Let events gather before the next wake-up: under load the reader then wakes ~100 times a second
		 * instead of once per event (context switches were a third of its time), and so does the collector.
		 * An event arriving after a quiet spell is still read at once.
		 */
		nanosleep(&(struct timespec){ .tv_nsec = GATHER_NS }, NULL);
	}
}

static int run_list(void)
{
	static const int listing = 1;
	uint32_t family = AF_UNSPEC;
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	if (!h)
		die(1, "cannot open conntrack");
	nfct_callback_register2(h, NFCT_T_ALL, on_ct, (void *)&listing);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		die(1, "cannot list the conntrack table");
	nfct_close(h);
	h = nfct_open(EXPECT, 0);
	if (!h)
		die(1, "cannot open the expectation table");
	nfexp_callback_register2(h, NFCT_T_ALL, on_exp, (void *)&listing);
	if (nfexp_query(h, NFCT_Q_DUMP, &family) < 0)
		die(1, "cannot list the expectation table");
	nfct_close(h);
	printf("D\t%lu\t%lu\t%lu\n", conns, expects, seen);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: ftpscope-ctreader events|list [--ports 21,2121] [--passive MIN-MAX] [--buffer BYTES] "
		"[--max-buffer BYTES]\n       ftpscope-ctreader --version\n");
	exit(code);
}

static long number(const char *s, long min, long max, const char *flag)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "ftpscope-ctreader: %s: expected a number from %ld to %ld, got \"%s\"\n", flag, min, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ftpscope-ctreader %s\n", CTREADER_VERSION);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "events") != 0 && strcmp(argv[1], "list") != 0))
		usage(2);
	int buffer = 8 << 20, max_buffer = 256 << 20;
	ports[nports++] = 21;
	int ports_given = 0;
	for (int i = 2; i < argc; i++) {
		const char *flag = argv[i];
		if (i + 1 >= argc)
			usage(2);
		char *val = argv[++i];
		if (strcmp(flag, "--ports") == 0) {
			if (!ports_given)
				nports = 0;
			ports_given = 1;
			char list[512];
			snprintf(list, sizeof(list), "%s", val);
			for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
				if (nports < MAX_PORTS)
					ports[nports++] = (uint16_t)number(tok, 1, 65535, "--ports");
		} else if (strcmp(flag, "--passive") == 0) {
			/* A copy: cutting argv in place would show in ps as two arguments. */
			char range[32];
			snprintf(range, sizeof(range), "%s", val);
			char *dash = strchr(range, '-');
			if (!dash)
				usage(2);
			*dash = 0;
			pasv_min = (int)number(range, 1, 65535, "--passive");
			pasv_max = (int)number(dash + 1, pasv_min, 65535, "--passive");
		} else if (strcmp(flag, "--buffer") == 0) {
			buffer = (int)number(val, 65536, 1 << 30, "--buffer");
		} else if (strcmp(flag, "--max-buffer") == 0) {
			max_buffer = (int)number(val, 65536, 1 << 30, "--max-buffer");
		} else {
			usage(2);
		}
	}
	if (max_buffer < buffer)
		max_buffer = buffer;
	/* Never outlive the collector, even while no event arrives to fail a write. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_DFL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return strcmp(argv[1], "events") == 0 ? run_events(buffer, max_buffer) : run_list();
}
