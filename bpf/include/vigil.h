/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil.h: the base layer every family builds on: scratch buffers, counters, the event
 * header, string appends and the final copy into the ring buffer.
 * Layers: maps.h -> vigil.h -> path.h -> filter.h -> <family>.bpf.c.
 *
 * Kernel pointers that the verifier sees as plain scalars (tracepoint and raw_tp arguments,
 * values read out of kernel memory) are read with BPF_CORE_READ / bpf_probe_read_kernel,
 * or through KVIEW on hot paths.
 */
#ifndef VIGIL_BASE_H
#define VIGIL_BASE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.h"

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_NOFOLLOW 0x100
#define O_CREAT 0100
#define O_WRONLY 01
#define O_TRUNC 01000
#define FMODE_CREATED 0x100000
#define NAME_MAX 255

/*
 * x & k in an instruction the compiler cannot drop. The verifier must see the mask next to
 * the access; clang otherwise removes masks it can prove redundant, or keeps the bound
 * check on a copy of the register.
 */
#define BOUNDED(x, k)                                                    \
	({                                                               \
		__u64 __b = (x);                                         \
		asm volatile("%[b] &= %[m]" : [b] "+r"(__b) : [m] "i"(k)); \
		__b;                                                     \
	})

static __always_inline bool is_task_self(struct task_struct *task)
{
	return task->tgid == self_tgid;
}

static __always_inline bool is_self(void)
{
	return is_task_self(bpf_get_current_task_btf());
}

static __always_inline struct type_stats *stats_of(__u32 type)
{
	return bpf_map_lookup_elem(&stats, &type);
}

static __always_inline void count_drop(__u32 cause)
{
	__u64 *c = bpf_map_lookup_elem(&drops, &cause);
	if (c)
		*c += 1;
}

/*
 * KVIEW(type, p): p as a read-only typed pointer (the bpf_rdonly_cast kfunc, Linux 6.2+).
 * Its fields are plain loads that the verifier makes fault-safe, where BPF_CORE_READ is a
 * helper call per field: the path walk of every open reads five fields per component.
 */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;
#define KVIEW(type, p) ((type *)bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(type)))

static __always_inline struct ev_scratch *scratch(void)
{
	__u32 zero = 0;
	struct ev_scratch *ev = bpf_map_lookup_elem(&ev_buf, &zero);
	if (!ev)
		count_drop(DROP_NO_SCRATCH);
	return ev;
}

static __always_inline struct path_parts *parts(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&path_buf, &zero);
}

/* The pid as seen from the task's own pid namespace, and that namespace. */
static __always_inline void task_ns_pid(struct task_struct *task, struct event_header *h)
{
	struct pid *tp = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);
	struct upid up = {};

	if (level > 32) /* MAX_PID_NS_LEVEL */
		return;
	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)tp + bpf_core_field_offset(struct pid, numbers) +
				      level * bpf_core_type_size(struct upid));
	h->ns_pid = up.nr;
	h->pidns = BPF_CORE_READ(up.ns, ns.inum);
}

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline void header_start(struct event_header *h, __u16 type)
{
	h->type = type;
	h->size = 0;
	h->version = VIGIL_WIRE_VERSION;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->ns_pid = 0;
	h->pidns = 0;
}

/* The header of the current task: a typed (BTF) task pointer, so plain loads mostly. */
static __always_inline void fill_header_current(struct event_header *h, __u16 type)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	header_start(h, type);
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = task->real_parent->tgid;
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->euid = cred->euid.val;
	h->egid = cred->egid.val;
	h->mntns = task->nsproxy->mnt_ns->ns.inum;
	task_ns_pid(current_task(), h);
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* The header of any task (the child of a fork): an untyped pointer, read with CO-RE. */
static __always_inline void fill_header(struct event_header *h, struct task_struct *task, __u16 type)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	header_start(h, type);
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(cred, uid.val);
	h->gid = BPF_CORE_READ(cred, gid.val);
	h->euid = BPF_CORE_READ(cred, euid.val);
	h->egid = BPF_CORE_READ(cred, egid.val);
	h->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	task_ns_pid(task, h);
	h->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
}


/*
 * Appending strings: `*cur` is the write offset in the record. A field is appended only
 * while *cur < EV_APPEND_LIMIT; each append writes at most VIGIL_PATH_MAX bytes and sets
 * the vstr (length without the NUL). Returns false when the field had to be skipped.
 */
static __always_inline bool append_str(struct ev_scratch *ev, __u32 *cur, struct vstr *s,
				       const void *src, bool user)
{
	__u32 off = *cur;
	long n;

	s->off = 0;
	s->len = 0;
	if (off >= EV_APPEND_LIMIT) {
		count_drop(DROP_FIELD_SKIPPED);
		return false;
	}
	if (user)
		n = bpf_probe_read_user_str(&ev->data[BOUNDED(off, EV_MASK)], VIGIL_PATH_MAX, src);
	else
		n = bpf_probe_read_kernel_str(&ev->data[BOUNDED(off, EV_MASK)], VIGIL_PATH_MAX, src);
	if (n <= 0) {
		count_drop(DROP_PATH_ERROR);
		return false;
	}
	s->off = off;
	s->len = n - 1;
	*cur = off + n;
	return true;
}

/* Copies a block of user memory (argv, envp: NUL-separated strings) of at most max bytes. */
static __always_inline bool append_user_block(struct ev_scratch *ev, __u32 *cur, struct vstr *s,
					      unsigned long start, unsigned long end, bool *truncated)
{
	__u32 off = *cur;
	unsigned long len = end - start;

	s->off = 0;
	s->len = 0;
	*truncated = false;
	if (end <= start)
		return true;
	if (off >= EV_APPEND_LIMIT) {
		count_drop(DROP_FIELD_SKIPPED);
		return false;
	}
	if (len > VIGIL_ARGS_MAX - 1) {
		len = VIGIL_ARGS_MAX - 1;
		*truncated = true;
	}
	if (bpf_probe_read_user(&ev->data[BOUNDED(off, EV_MASK)], BOUNDED(len, VIGIL_ARGS_MAX - 1),
				(const void *)start) < 0) {
		count_drop(DROP_PATH_ERROR);
		return false;
	}
	ev->data[BOUNDED(off + len, EV_BUF_SIZE - 1)] = 0;
	s->off = off;
	s->len = len;
	*cur = off + len + 1;
	return true;
}

/* Sends the record built in ev (size bytes) and counts the outcome. */
static __always_inline void emit(void *ctx, struct ev_scratch *ev, __u32 size, __u32 type)
{
	struct event_header *h = (struct event_header *)ev->data;
	struct type_stats *st = stats_of(type);
	__u64 flags;

	if (size > EV_RECORD_MAX)
		size = EV_RECORD_MAX;
	size = BOUNDED((size + 7) & ~7U, EV_BUF_SIZE - 1);
	h->size = size;
	/* batched wakeups: one per wakeup_bytes, not one per event the reader keeps up with */
	flags = 0;
	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
											: BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, ev->data, size, flags) < 0) {
		count_drop(DROP_RINGBUF_FULL);
		if (st)
			st->lost += 1;
		return;
	}
	if (st)
		st->sent += 1;
}

#endif /* VIGIL_BASE_H */
