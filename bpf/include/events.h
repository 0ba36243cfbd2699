/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * events.h: THE wire contract between the BPF programs, the sensor addon and the
 * TypeScript decoder (sensor/src/wire/wire.generated.ts is generated from this file by
 * sensor/scripts/gen-wire.ts).
 *
 * Rules for changing it (see bpf/README.md):
 *   - append only: new event types, new structs, new fields at the END of a struct;
 *     never reorder, resize or reuse a field; bump VIGIL_WIRE_VERSION on any change;
 *   - fixed-width types only, explicit padding, every struct a multiple of 8 bytes;
 *   - every event starts with struct event_header; variable-length data (paths, argv)
 *     follows the fixed part and is referenced by struct vstr (offset from the start of
 *     the record, length without the trailing NUL).
 *   - the generator understands: #define NAME <integer>, enums whose members carry a
 *     "wire: <struct>" comment naming their record struct, and structs of __u8..__s64,
 *     char arrays, nested structs.
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_WIRE_VERSION 3

/* Limits of the variable-length parts (bytes, NUL included). */
#define VIGIL_PATH_MAX 4096
#define VIGIL_ARGS_MAX 4096
#define VIGIL_ENVS_MAX 4096
#define VIGIL_XATTR_NAME_MAX 256
/* Event types are < VIGIL_EVENT_TYPE_MAX: they index the per-type filter and stats maps. */
#define VIGIL_EVENT_TYPE_MAX 64
/* Approver keys: longer basenames/prefixes cannot be approvers (see bpf/README.md). */
#define VIGIL_APPROVER_NAME_MAX 56
#define VIGIL_APPROVER_PREFIX_MAX 120

/*
 * Event types. Families own ranges: process 1-15, file 16-31, dns/network 32-47
 * (issue 4), kernel 48-63. The comment names the record struct of each type.
 */
enum event_type {
	EVENT_EXEC = 1,         /* wire: process_exec_event */
	EVENT_FORK = 2,         /* wire: process_fork_event */
	EVENT_EXIT = 3,         /* wire: process_exit_event */
	EVENT_OPEN = 16,        /* wire: file_open_event */
	EVENT_UNLINK = 17,      /* wire: file_unlink_event */
	EVENT_RMDIR = 18,       /* wire: file_unlink_event */
	EVENT_RENAME = 19,      /* wire: file_rename_event */
	EVENT_CHMOD = 20,       /* wire: file_chmod_event */
	EVENT_CHOWN = 21,       /* wire: file_chown_event */
	EVENT_LINK = 22,        /* wire: file_link_event */
	EVENT_SYMLINK = 23,     /* wire: file_symlink_event */
	EVENT_MKDIR = 24,       /* wire: file_mkdir_event */
	EVENT_UTIMES = 25,      /* wire: file_utimes_event */
	EVENT_SETXATTR = 26,    /* wire: file_xattr_event */
	EVENT_REMOVEXATTR = 27, /* wire: file_xattr_event */
	EVENT_TRUNCATE = 28,    /* wire: file_truncate_event */
	EVENT_DNS = 32,          /* wire: dns_packet_event */
	EVENT_DNS_RESPONSE = 33, /* wire: dns_packet_event */
	EVENT_CONNECT = 34,      /* wire: network_socket_event */
	EVENT_ACCEPT = 35,       /* wire: network_socket_event */
	EVENT_BIND = 36,         /* wire: network_socket_event */
	EVENT_PTRACE = 48,       /* wire: kernel_ptrace_event */
	EVENT_BPF = 49,          /* wire: kernel_bpf_event */
	EVENT_LOAD_MODULE = 50,  /* wire: kernel_module_event */
	EVENT_UNLOAD_MODULE = 51, /* wire: kernel_module_event */
	EVENT_MOUNT = 52,        /* wire: kernel_mount_event */
	EVENT_UMOUNT = 53,       /* wire: kernel_mount_event */
	EVENT_SETUID = 54,       /* wire: kernel_setid_event */
	EVENT_SETGID = 55,       /* wire: kernel_setid_event */
	EVENT_CAPSET = 56,       /* wire: kernel_capset_event */
	EVENT_SIGNAL = 57,       /* wire: kernel_signal_event */
	EVENT_PRCTL = 58,        /* wire: kernel_prctl_event */
	EVENT_MEMFD_CREATE = 59, /* wire: kernel_memfd_event */
	EVENT_PROCESS_VM_WRITEV = 60, /* wire: kernel_vmwrite_event */
	EVENT_UNSHARE = 61,      /* wire: kernel_ns_event */
	EVENT_SETNS = 62,        /* wire: kernel_ns_event */
};

/* event_header.flags */
#define EVENT_F_UNAPPROVED 0x01 /* failed the approvers: feeds the process cache, not the rules */
#define EVENT_F_KILLED 0x02     /* the kernel signalled the task (kill_exec): it never ran user code */

/* A string in the variable part of the record: offset from the record start. */
struct vstr {
	__u16 off;
	__u16 len; /* bytes, without the trailing NUL; 0 = absent */
};

/* Every record starts with this (80 bytes). It describes the task the event is about. */
struct event_header {
	__u16 type;     /* enum event_type */
	__u16 size;     /* bytes of the whole record, header included */
	__u8 version;   /* VIGIL_WIRE_VERSION */
	__u8 flags;     /* EVENT_F_* */
	__u16 cpu;
	__u64 ts_ns;    /* bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME */
	__u32 pid;      /* thread group id, as user space calls a pid */
	__u32 tid;
	__u32 ppid;     /* real parent's tgid */
	__u32 ns_pid;   /* pid in the task's own pid namespace */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 mntns;    /* mount namespace inode number */
	__u32 pidns;    /* pid namespace inode number */
	__u64 cgroup_id; /* cgroup v2 id (kernfs node id) */
	char comm[16];
};

/* file_info.flags */
#define FILE_F_PATH_TRUNCATED 0x01 /* path longer than VIGIL_PATH_MAX or deeper than the walk */
#define FILE_F_PATH_LEXICAL 0x02   /* joined from the base dir and the syscall's string, not from an inode */
#define FILE_F_PATH_ERROR 0x04     /* the path could not be read */
#define FILE_F_CREATED 0x08        /* open created the file (FMODE_CREATED) */
#define FILE_F_HAS_INODE 0x10      /* ino..nlink are valid */

/* A file as the event saw it (64 bytes). */
struct file_info {
	__u64 ino;
	__u64 ctime_ns;  /* inode change time */
	__u64 mtime_ns;
	__u32 dev;       /* super_block s_dev, kernel encoding (major << 20 | minor) */
	__u32 mount_id;
	__u32 mode;      /* i_mode: type and permission bits */
	__u32 uid;
	__u32 gid;
	__u32 nlink;
	__u32 fs_magic;  /* super_block s_magic: the filesystem type */
	__u16 flags;     /* FILE_F_* */
	__u16 pad;
	struct vstr path;
	__u32 pad2;
};

/* process_exec_event.flags */
#define EXEC_F_ARGS_TRUNCATED 0x01
#define EXEC_F_ENVS_TRUNCATED 0x02
#define EXEC_F_SCRIPT 0x04        /* bprm->interp differs from bprm->filename: file is the interpreter */
#define EXEC_F_FIELD_SKIPPED 0x08 /* the record ran out of room: a string field is absent */

struct process_exec_event {
	struct event_header hdr;
	__u32 flags;    /* EXEC_F_* */
	__u32 argc;
	__u32 envc;
	__u32 old_tid;  /* the tid that called execve (differs when a thread exec'd) */
	__u32 fsuid;
	__u32 fsgid;
	__u32 auid;     /* login uid, 4294967295 when unset */
	__u32 pad;
	__u64 cap_effective;
	__u64 cap_permitted;
	struct file_info file;     /* the file that runs: for a script, its interpreter */
	struct vstr filename;      /* the path given to execve, as given */
	struct vstr interpreter;   /* bprm->interp: the interpreter path named by a script */
	struct vstr args;          /* argv, NUL-separated */
	struct vstr envs;          /* envp, NUL-separated */
	struct vstr cwd;           /* working directory at exec */
	struct vstr tty;           /* controlling terminal name ("pts/0"), absent when none */
};

/* The header describes the child; the parent is the task that called fork/clone. */
struct process_fork_event {
	struct event_header hdr;
	__u32 parent_pid;
	__u32 parent_tid;
	__u64 clone_flags; /* reserved: 0 until a clone tracepoint provides them */
};

struct process_exit_event {
	struct event_header hdr;
	__s32 exit_code; /* wait status: (code << 8) | signal, 0x80 = core dumped */
	__u32 pad;
};

/* Every file event: the syscall's return value first, then its arguments. */
struct file_open_event {
	struct event_header hdr;
	__s64 ret;     /* fd, or -errno */
	__u32 flags;   /* open flags as passed */
	__u32 mode;    /* create mode as passed */
	struct file_info file;
};

/* unlink, unlinkat, rmdir (EVENT_RMDIR when AT_REMOVEDIR or rmdir) */
struct file_unlink_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;   /* unlinkat flags */
	__u32 pad;
	struct file_info file;
};

struct file_rename_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;   /* renameat2 flags */
	__u32 pad;
	struct file_info file;        /* the old name */
	struct file_info destination; /* the new name */
};

struct file_chmod_event {
	struct event_header hdr;
	__s64 ret;
	__u32 mode;
	__u32 flags;   /* fchmodat2 flags */
	struct file_info file;
};

struct file_chown_event {
	struct event_header hdr;
	__s64 ret;
	__s32 uid;     /* -1 = unchanged */
	__s32 gid;
	__u32 flags;   /* fchownat flags; lchown sets AT_SYMLINK_NOFOLLOW */
	__u32 pad;
	struct file_info file;
};

/* Hard link: file is the existing file, destination the new name. */
struct file_link_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;   /* linkat flags */
	__u32 pad;
	struct file_info file;
	struct file_info destination;
};

struct file_symlink_event {
	struct event_header hdr;
	__s64 ret;
	struct file_info file;    /* the new link */
	struct vstr target;       /* what it points to, as given (not resolved) */
	__u32 pad;
};

struct file_mkdir_event {
	struct event_header hdr;
	__s64 ret;
	__u32 mode;
	__u32 pad;
	struct file_info file;
};

struct file_utimes_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;   /* utimensat flags */
	__u32 pad;
	struct file_info file;
};

/* setxattr and removexattr families */
struct file_xattr_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;   /* setxattr flags (XATTR_CREATE/REPLACE) */
	__u32 pad;
	struct file_info file;
	struct vstr name;         /* the attribute name, namespace included ("user.x") */
	__u32 pad2;
};

struct file_truncate_event {
	struct event_header hdr;
	__s64 ret;
	__s64 length;
	struct file_info file;
};

/*
 * ---- dns and network (types 32-47, bpf/dns.bpf.c) ----
 */

/* Bytes of a DNS message copied from a packet: a query always fits; a longer response is
 * cut (its questions and whole answers still parse). */
#define VIGIL_DNS_PAYLOAD_MAX 1024

/* dns_packet_event.flags */
#define DNS_F_RESPONSE 0x01     /* arriving from port 53 (otherwise: a query leaving for port 53) */
#define DNS_F_TCP 0x02          /* a TCP segment: the 2-byte length prefix, then the message */
#define DNS_F_UNATTRIBUTED 0x04 /* no process could be told: the header's task fields are zero */
#define DNS_F_TRUNCATED 0x08    /* longer than VIGIL_DNS_PAYLOAD_MAX: only its start was copied */

/* An IPv4 or IPv6 socket address (24 bytes). */
struct net_addr {
	__u8 ip[16];    /* network byte order; IPv4 in the first 4 bytes */
	__u16 port;     /* host byte order */
	__u16 family;   /* AF_INET 2, AF_INET6 10; 0 = none */
	__u32 pad;
};

/*
 * One DNS packet seen by the cgroup_skb programs on the cgroup2 root (every netns): a query
 * leaving for port 53 (EVENT_DNS) or a response from port 53 (EVENT_DNS_RESPONSE). The
 * header is the sending process for a query; for a response, the process whose query
 * went out on the same socket. The payload is binary: payload_off/payload_len, not a vstr.
 */
struct dns_packet_event {
	struct event_header hdr;
	__u32 flags;         /* DNS_F_* */
	__u32 size;          /* bytes of the IP packet */
	__u16 l3_protocol;   /* ETH_P_IP 0x0800, ETH_P_IPV6 0x86dd */
	__u16 l4_protocol;   /* IPPROTO_UDP 17, IPPROTO_TCP 6 */
	__u32 netns;         /* network namespace inode of the socket */
	struct net_addr source;
	struct net_addr destination;
	__u16 payload_off;   /* the DNS message (after the UDP/TCP header), from the record start */
	__u16 payload_len;   /* bytes copied (at most VIGIL_DNS_PAYLOAD_MAX) */
	__u32 payload_full;  /* bytes the packet carried after the UDP/TCP header */
};

/* connect, accept (accept4), bind: inet sockets only (AF_INET, AF_INET6). */
struct network_socket_event {
	struct event_header hdr;
	__s64 ret;            /* 0 or the accepted fd, or -errno (a non-blocking connect: -EINPROGRESS) */
	__s32 fd;             /* the socket the call was made on */
	__u16 protocol;       /* IPPROTO_* of the socket */
	__u16 sock_type;      /* SOCK_STREAM 1, SOCK_DGRAM 2, ... */
	struct net_addr addr; /* connect: the peer asked for; bind: the address asked for; accept: the peer */
	struct net_addr local; /* the socket's own address after the call (connect: the source port) */
};

/*
 * ---- kernel activity (types 48-63, bpf/kernel.bpf.c) ----
 * One program per syscall on its sys_exit tracepoint, arguments from the saved registers,
 * as the file family does. Target pids are as passed: pids of the caller's pid namespace.
 */

struct kernel_ptrace_event {
	struct event_header hdr;
	__s64 ret;
	__u32 request;   /* PTRACE_* */
	__s32 pid;       /* the tracee */
	__u64 addr;
};

/* kernel_bpf_event.flags */
#define BPF_EV_F_HELPERS 0x01           /* helpers holds the program's helper calls */
#define BPF_EV_F_HELPERS_TRUNCATED 0x02 /* more instructions than VIGIL_BPF_INSNS_MAX: the rest unread */

/* Instructions of a loaded program scanned for helper calls. */
#define VIGIL_BPF_INSNS_MAX 32768

struct kernel_bpf_event {
	struct event_header hdr;
	__s64 ret;
	__u32 cmd;           /* BPF_* command */
	__u32 map_type;      /* BPF_MAP_CREATE */
	__u32 prog_type;     /* BPF_PROG_LOAD */
	__u32 attach_type;   /* BPF_PROG_LOAD: expected_attach_type */
	char map_name[16];
	char prog_name[16];
	__u32 insn_cnt;      /* BPF_PROG_LOAD */
	__u32 pad;
	__u32 helpers[8];    /* BPF_PROG_LOAD: bit n % 32 of word n / 32 set when it calls helper n (< 256) */
	__u32 flags;         /* BPF_EV_F_* */
	__u32 pad2;
};

/* kernel_module_event.flags */
#define MODULE_F_FROM_MEMORY 0x01 /* init_module: the image came from memory, not from a file */

/* init_module, finit_module (EVENT_LOAD_MODULE), delete_module (EVENT_UNLOAD_MODULE) */
struct kernel_module_event {
	struct event_header hdr;
	__s64 ret;
	__u32 flags;           /* MODULE_F_* */
	__u32 syscall_flags;   /* finit_module or delete_module flags */
	struct file_info file; /* finit_module: the module file */
	struct vstr name;      /* delete_module: the name given */
	struct vstr args;      /* init_module, finit_module: the parameters */
};

/* mount (EVENT_MOUNT), umount2 (EVENT_UMOUNT) */
struct kernel_mount_event {
	struct event_header hdr;
	__s64 ret;
	__u64 flags;                 /* MS_* for mount, MNT_* for umount2 */
	struct file_info mountpoint; /* lexical: the cwd joined with the target string */
	struct vstr source;          /* as given: a device, a directory or a name ("tmpfs") */
	struct vstr fs_type;
};

/* kernel_setid_event.syscall */
#define SETID_SETUID 1
#define SETID_SETREUID 2
#define SETID_SETRESUID 3
#define SETID_SETFSUID 4
#define SETID_SETGID 5
#define SETID_SETREGID 6
#define SETID_SETRESGID 7
#define SETID_SETFSGID 8

/* set*uid (EVENT_SETUID), set*gid (EVENT_SETGID). The header carries the credentials after
 * the call; the ones before are the process cache's. */
struct kernel_setid_event {
	struct event_header hdr;
	__s64 ret;
	__u32 syscall;   /* SETID_* */
	__s32 arg1;      /* the ids as passed, -1 = unchanged */
	__s32 arg2;
	__s32 arg3;
	__u32 uid;       /* the thread's credentials after the call */
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
};

struct kernel_capset_event {
	struct event_header hdr;
	__s64 ret;
	__u64 cap_effective;   /* after the call */
	__u64 cap_permitted;
	__u64 cap_inheritable;
};

/* kernel_signal_event.syscall */
#define SIGNAL_KILL 1
#define SIGNAL_TKILL 2
#define SIGNAL_TGKILL 3

/* kill, tkill, tgkill of another process (a process signalling itself is not reported) */
struct kernel_signal_event {
	struct event_header hdr;
	__s64 ret;
	__s32 pid;       /* kill: the pid (<= 0: a process group); tgkill: the tgid; tkill: the tid */
	__s32 tid;       /* tgkill: the thread */
	__u32 sig;
	__u32 syscall;   /* SIGNAL_* */
};

/* kernel_prctl_event.flags */
#define PRCTL_F_NAME_TRUNCATED 0x01 /* PR_SET_NAME with a name longer than the kernel keeps */

struct kernel_prctl_event {
	struct event_header hdr;
	__s64 ret;
	__u32 option;     /* PR_* */
	__u32 flags;      /* PRCTL_F_* */
	__u64 arg2;
	char new_name[16]; /* PR_SET_NAME: the name as the kernel keeps it */
};

struct kernel_memfd_event {
	struct event_header hdr;
	__s64 ret;       /* the fd */
	__u32 flags;     /* MFD_* */
	struct vstr name; /* as given; the file is named "memfd:<name>" */
};

/* process_vm_writev: writing another process's memory */
struct kernel_vmwrite_event {
	struct event_header hdr;
	__s64 ret;         /* bytes written */
	__s32 pid;         /* the target */
	__u32 liovcnt;
	__u32 riovcnt;
	__u32 flags;
	__u64 remote_addr; /* the first remote iovec's base */
};

/* unshare (EVENT_UNSHARE), setns (EVENT_SETNS) */
struct kernel_ns_event {
	struct event_header hdr;
	__s64 ret;
	__u64 flags;     /* unshare: CLONE_* flags; setns: the nstype argument */
	__s32 fd;        /* setns: the namespace file (or pidfd) */
	__u32 ns_type;   /* setns: CLONE_NEW* type of the namespace behind fd; 0 when it is not one */
	__u32 ns_inum;   /* setns: that namespace's inode number */
	__u32 pad;
};

/*
 * ---- user space -> kernel: the filter maps (documented in bpf/README.md) ----
 */

/* type_filter.mode: what happens to events of a type before anything is copied. */
#define FILTER_PASS 0    /* every event is sent (the zero value: a forgotten type costs CPU, never a miss) */
#define FILTER_APPROVE 1 /* only events that match an approver are sent */
#define FILTER_DROP 2    /* nothing is sent (counted as filtered) */

/* type_filter.approvers: which approver kinds hold entries for the type. */
#define APPROVE_NAME 0x01      /* approve_names, kind NAME_KIND_FILE: a basename of the event's path(s) */
#define APPROVE_PREFIX 0x02    /* approve_prefix: a path prefix */
#define APPROVE_FLAGS 0x04     /* type_filter.flags_mask: (open flags & mask) != 0 */
#define APPROVE_EXE 0x08       /* approve_names, kind NAME_KIND_EXE: the process executable's basename */
#define USE_DISCARDERS 0x100   /* look the process up in discarders */
#define USE_KILL_EXEC 0x200    /* exec only: look the new program's basename up in kill_exec */

/* value of filters[type] */
struct type_filter {
	__u32 mode;       /* FILTER_* */
	__u32 approvers;  /* APPROVE_* | USE_DISCARDERS */
	__u32 flags_mask;
	__u32 need_flags; /* open: the OR of every approver.open_flags of the type (0: none needs flags) */
};

/*
 * value of approve_names and approve_prefix: what an approver needs of the event. 0: it
 * approves any event; else it approves an open (or truncate) only when the open flags
 * intersect open_flags (a rule "creating a file under /etc/" approves no read there). An
 * LPM lookup returns the longest prefix only: user space folds the needs of the shorter
 * prefixes that cover it into its value.
 */
struct approver {
	__u32 open_flags;
};

#define NAME_KIND_FILE 0
#define NAME_KIND_EXE 1

/* key of approve_names (hash): zero-padded name */
struct name_key {
	__u32 type;
	__u32 kind;    /* NAME_KIND_* */
	char name[VIGIL_APPROVER_NAME_MAX];
};

/* key of approve_prefix (LPM trie): prefixlen counts bits of type and path */
struct prefix_key {
	__u32 prefixlen;
	__u32 type;
	char path[VIGIL_APPROVER_PREFIX_MAX];
};

/* value of stats[type] (per CPU) */
struct type_stats {
	__u64 seen;       /* the program ran for this type (self excluded) */
	__u64 sent;       /* written to the ring buffer */
	__u64 filtered;   /* rejected by mode or approvers */
	__u64 discarded;  /* rejected by a process discarder */
	__u64 lost;       /* ring buffer full */
};

/* index of drops[] (per CPU): every cause of a lost or degraded event */
enum drop_cause {
	DROP_RINGBUF_FULL = 0,
	DROP_PATH_TRUNCATED = 1,
	DROP_PATH_ERROR = 2,
	DROP_ARGS_TRUNCATED = 3,
	DROP_ENVS_TRUNCATED = 4,
	DROP_FIELD_SKIPPED = 5,
	DROP_NO_SCRATCH = 6,
	DROP_NO_TASK_FILE = 7,
	DROP_NET_UNATTRIBUTED = 8, /* a DNS packet whose process could not be told (sent as such) */
	DROP_DNS_TRUNCATED = 9,    /* a DNS payload longer than VIGIL_DNS_PAYLOAD_MAX (sent cut) */
	DROP_CAUSE_MAX = 10,
};

/*
 * Active Protection in the kernel (kill_exec, kill_scopes). A kill_exec entry applies
 * everywhere (scope 0) or only to tasks whose cgroup, or one of its ancestors, is listed in
 * kill_scopes under the entry's scope: user space lists the cgroups of the pods a policy
 * covers (a pod's cgroup holds its containers) and the top-level host cgroups.
 */
#define VIGIL_KILL_SCOPE_DEPTH 16 /* ancestor levels the kernel checks */

/* value of kill_exec */
struct kill_verdict {
	__u32 signal;
	__u32 scope;   /* 0: everywhere; else the kill_scopes scope id */
};

/* key of kill_scopes (hash, value __u8) */
struct kill_scope_key {
	__u64 cgroup_id;
	__u32 scope;
	__u32 pad;
};

#ifdef __cplusplus
#define VIGIL_ASSERT(c, m) static_assert(c, m)
#else
#define VIGIL_ASSERT(c, m) _Static_assert(c, m)
#endif
VIGIL_ASSERT(sizeof(struct vstr) == 4, "vstr");
VIGIL_ASSERT(sizeof(struct event_header) == 80, "event_header");
VIGIL_ASSERT(sizeof(struct file_info) == 64, "file_info");
VIGIL_ASSERT(sizeof(struct process_exec_event) == 216, "process_exec_event");
VIGIL_ASSERT(sizeof(struct process_fork_event) == 96, "process_fork_event");
VIGIL_ASSERT(sizeof(struct process_exit_event) == 88, "process_exit_event");
VIGIL_ASSERT(sizeof(struct file_open_event) == 160, "file_open_event");
VIGIL_ASSERT(sizeof(struct file_unlink_event) == 160, "file_unlink_event");
VIGIL_ASSERT(sizeof(struct file_rename_event) == 224, "file_rename_event");
VIGIL_ASSERT(sizeof(struct file_chmod_event) == 160, "file_chmod_event");
VIGIL_ASSERT(sizeof(struct file_chown_event) == 168, "file_chown_event");
VIGIL_ASSERT(sizeof(struct file_link_event) == 224, "file_link_event");
VIGIL_ASSERT(sizeof(struct file_symlink_event) == 160, "file_symlink_event");
VIGIL_ASSERT(sizeof(struct file_mkdir_event) == 160, "file_mkdir_event");
VIGIL_ASSERT(sizeof(struct file_utimes_event) == 160, "file_utimes_event");
VIGIL_ASSERT(sizeof(struct file_xattr_event) == 168, "file_xattr_event");
VIGIL_ASSERT(sizeof(struct file_truncate_event) == 160, "file_truncate_event");
VIGIL_ASSERT(sizeof(struct net_addr) == 24, "net_addr");
VIGIL_ASSERT(sizeof(struct dns_packet_event) == 152, "dns_packet_event");
VIGIL_ASSERT(sizeof(struct network_socket_event) == 144, "network_socket_event");
VIGIL_ASSERT(sizeof(struct kernel_ptrace_event) == 104, "kernel_ptrace_event");
VIGIL_ASSERT(sizeof(struct kernel_bpf_event) == 184, "kernel_bpf_event");
VIGIL_ASSERT(sizeof(struct kernel_module_event) == 168, "kernel_module_event");
VIGIL_ASSERT(sizeof(struct kernel_mount_event) == 168, "kernel_mount_event");
VIGIL_ASSERT(sizeof(struct kernel_setid_event) == 136, "kernel_setid_event");
VIGIL_ASSERT(sizeof(struct kernel_capset_event) == 112, "kernel_capset_event");
VIGIL_ASSERT(sizeof(struct kernel_signal_event) == 104, "kernel_signal_event");
VIGIL_ASSERT(sizeof(struct kernel_prctl_event) == 120, "kernel_prctl_event");
VIGIL_ASSERT(sizeof(struct kernel_memfd_event) == 96, "kernel_memfd_event");
VIGIL_ASSERT(sizeof(struct kernel_vmwrite_event) == 112, "kernel_vmwrite_event");
VIGIL_ASSERT(sizeof(struct kernel_ns_event) == 112, "kernel_ns_event");
VIGIL_ASSERT(sizeof(struct type_filter) == 16, "type_filter");
VIGIL_ASSERT(sizeof(struct name_key) == 64, "name_key");
VIGIL_ASSERT(sizeof(struct approver) == 4, "approver");
VIGIL_ASSERT(sizeof(struct prefix_key) == 128, "prefix_key");
VIGIL_ASSERT(sizeof(struct type_stats) == 40, "type_stats");
VIGIL_ASSERT(sizeof(struct kill_verdict) == 8, "kill_verdict");
VIGIL_ASSERT(sizeof(struct kill_scope_key) == 16, "kill_scope_key");

#endif /* VIGIL_EVENTS_H */
