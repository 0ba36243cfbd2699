/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h: every map the families share, declared once. Each <family>.bpf.c includes
 * this header; the definitions are __weak so that `bpftool gen object` merges the
 * copies into one map per name when it links the families into vigil.bpf.o.
 * Names are the ones user space uses (sensor/src/native/addon.ts): keep them <= 15 chars.
 */
#ifndef VIGIL_MAPS_H
#define VIGIL_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

/* Set by the loader before load (rodata): the sensor's own tgid, never reported. */
__weak const volatile __u32 self_tgid = 0;
/* Set by the loader: wake the reader only once this many bytes wait in the ring buffer
 * (it also drains on a timer). 0: wake it whenever it has caught up (libbpf's default). */
__weak const volatile __u32 wakeup_bytes = 0;

/* Kernel -> user space. Size set by the loader (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps") __weak;

/* filters[type]: mode and which approvers exist (struct type_filter). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_EVENT_TYPE_MAX);
	__type(key, __u32);
	__type(value, struct type_filter);
} filters SEC(".maps") __weak;

/* Basename approvers: present key = approved (for the flags in struct approver). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct name_key);
	__type(value, struct approver);
} approve_names SEC(".maps") __weak;

/* Path prefix approvers: the longest match decides (its struct approver holds the covering prefixes' needs too). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_key);
	__type(value, struct approver);
} approve_prefix SEC(".maps") __weak;

/* Active Protection in the kernel: basename of an executed file (name_key, type
 * EVENT_EXEC, kind NAME_KIND_EXE) -> the signal sent to the task before it runs, and
 * where (struct kill_verdict: everywhere, or the cgroups of a scope in kill_scopes). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct name_key);
	__type(value, struct kill_verdict);
} kill_exec SEC(".maps") __weak;

/* The cgroups a scoped kill applies in: (cgroup id, scope) -> 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct kill_scope_key);
	__type(value, __u8);
} kill_scopes SEC(".maps") __weak;

/* Process discarders: tgid -> mask of event types (1 << type) not to send.
 * The kernel removes an entry at exec and at exit: a discarder is about one program. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} discarders SEC(".maps") __weak;

/* DNS: socket cookie -> the header of the process whose query last left on the socket, so
 * that the response arriving on it (softirq: no process) is the querier's. LRU: entries of
 * closed sockets are never matched again (cookies are not reused) and age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct event_header);
} dns_owner SEC(".maps") __weak;

/* Per-type counters (struct type_stats), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_EVENT_TYPE_MAX);
	__type(key, __u32);
	__type(value, struct type_stats);
} stats SEC(".maps") __weak;

/* drops[cause] (enum drop_cause), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_CAUSE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps") __weak;

/*
 * Scratch space, per CPU: records are built here, then copied into the ring buffer with
 * their exact size (bpf_ringbuf_output), so a 100-byte event does not reserve 20 KiB.
 * Strings are appended at offsets < EV_APPEND_LIMIT, each at most 4 KiB: the masks below
 * let the verifier prove every write stays inside the buffer.
 */
#define EV_BUF_SIZE 32768
#define EV_APPEND_LIMIT 16384
#define EV_MASK (EV_APPEND_LIMIT - 1)
#define EV_RECORD_MAX (EV_APPEND_LIMIT + VIGIL_PATH_MAX)

struct ev_scratch {
	__u8 data[EV_BUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ev_scratch);
} ev_buf SEC(".maps") __weak;

/* Components of the path being resolved, leaf first (see path.h). */
#define PATH_DEPTH_MAX 128
#define PATH_DEPTH_MASK (PATH_DEPTH_MAX - 1)

/*
 * The state of the bpf_loop bodies in path.h and filter.h lives here rather than on the
 * stack: the verifier does not track map contents, so each body is checked once instead
 * of once per distinct value of its counters. Kernel addresses are kept as numbers (path.h:
 * ADDR): the walk compares and hashes them.
 */
struct walk_state {
	__u64 dentry;
	__u64 vfsmnt;
	__u64 mnt_root;  /* vfsmnt->mnt_root, read once per mount */
	__u64 root_dentry;
	__u64 root_mnt;
	__u32 depth;
	__u32 done;      /* 0 running, 1 reached the root, 2 error */
	__u64 sig;       /* what the path is made of, hashed (path.h: sig_mix); signature walks only */
	__u64 tmp;       /* path.h: ADDR() turns a typed kernel pointer into a number here */
};

struct write_state {
	__u32 left;      /* components still to write; the next is left - 1 */
	__u32 start;     /* record offset of the path (< EV_APPEND_LIMIT) */
	__u32 rel;       /* write offset from start */
	__u32 limit;     /* rel the path must end before (NUL included), <= VIGIL_PATH_MAX */
	__u32 truncated;
	__u32 pad;
};

struct scan_state {
	__u32 pos;       /* candidate start of the basename */
	__u32 stop;      /* start of the path */
};

struct path_parts {
	__u64 name[PATH_DEPTH_MAX];
	__u32 len[PATH_DEPTH_MAX];
	struct walk_state walk;
	struct write_state write;
	struct scan_state scan;
	struct prefix_key pkey; /* the approve_prefix lookup key, built here (too big for the stack) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_parts);
} path_buf SEC(".maps") __weak;

/*
 * The path verdicts of opens (filter.h: prefix_cache_slot): a file whose path the name and
 * prefix approvers refused is remembered by the signature of its dentry walk (every dentry,
 * its d_seq, name hash and length, every mount crossed, the task's root, the filter
 * generation), so its next open is refused without writing the path or looking it up.
 * Direct-mapped, per CPU; only refusals are kept (an approved open needs its path anyway).
 */
#define PREFIX_CACHE_SLOTS 4096

struct prefix_cache {
	__u64 sig[PREFIX_CACHE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prefix_cache);
} prefix_cache SEC(".maps") __weak;

/* filter_gen[0]: bumped by user space whenever it adds a path prefix or name approver, or
 * changes the flags one needs (sensor/src/kernel/filters.ts): every remembered refusal is
 * then stale. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} filter_gen SEC(".maps") __weak;

#endif /* VIGIL_MAPS_H */
