/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall.h: what every sys_exit program shares: the syscall's arguments read back from
 * the task's saved registers (the ones the syscall used, after any seccomp or ptrace
 * rewrite), the start of a record (self check, mode, discarders, scratch) and its end
 * (header, then the ring buffer). The header is written by send(), once the event is
 * approved: a filtered event costs no header.
 * Layers: filter.h -> syscall.h -> file.bpf.c, dns.bpf.c, kernel.bpf.c.
 */
#ifndef VIGIL_SYSCALL_H
#define VIGIL_SYSCALL_H

#include "filter.h"

/*
 * The arguments: plain loads from the typed pt_regs of task_regs() below (a helper call per
 * argument cost more than the rest of a dropped open's program together).
 */
#if defined(__TARGET_ARCH_x86)
#define ARG1(r) ((r)->di)
#define ARG2(r) ((r)->si)
#define ARG3(r) ((r)->dx)
#define ARG4(r) ((r)->r10)
#define ARG5(r) ((r)->r8)
#define ARG6(r) ((r)->r9)
#else
#define ARG1(r) PT_REGS_PARM1_CORE_SYSCALL(r)
#define ARG2(r) PT_REGS_PARM2_CORE_SYSCALL(r)
#define ARG3(r) PT_REGS_PARM3_CORE_SYSCALL(r)
#define ARG4(r) PT_REGS_PARM4_CORE_SYSCALL(r)
#define ARG5(r) PT_REGS_PARM5_CORE_SYSCALL(r)
/* libbpf 1.1 has no PT_REGS_PARM6_CORE_SYSCALL: the sixth argument register by hand */
#if defined(PT_REGS_PARM6_CORE_SYSCALL)
#define ARG6(r) PT_REGS_PARM6_CORE_SYSCALL(r)
#elif defined(__TARGET_ARCH_arm64)
#define ARG6(r) BPF_CORE_READ((struct user_pt_regs *)(r), regs[5])
#endif
#endif

/*
 * A task's saved user registers sit at a constant offset from its stack page (THREAD_SIZE
 * and padding, fixed by the kernel build): learnt once from bpf_task_pt_regs, then a load
 * and an add where a helper call would cost as much as the rest of a refused open.
 */
__u64 regs_offset;
#define REGS_OFFSET_MAX 65536 /* far above any THREAD_SIZE: a larger difference is not one */

static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	__u64 stack = (__u64)task->stack, off = regs_offset;
	struct pt_regs *regs;
	struct path_parts *pp;

	if (off && off < REGS_OFFSET_MAX)
		return KVIEW(struct pt_regs, stack + off);
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	pp = parts();
	if (pp && stack) {
		off = ADDR(pp, regs) - stack;
		if (off && off < REGS_OFFSET_MAX)
			regs_offset = off;
	}
	return regs;
}

static __always_inline struct pt_regs *syscall_regs(void)
{
	return task_regs(bpf_get_current_task_btf());
}

static __always_inline struct ev_scratch *begin(__u32 type, struct filter_state *fs)
{
	if (is_self() || !filter_enter(type, fs))
		return NULL;
	return scratch();
}

static __always_inline void send(void *ctx, struct ev_scratch *ev, __u32 size, __u32 type)
{
	fill_header_current((struct event_header *)ev->data, type);
	emit(ctx, ev, size, type);
}

/*
 * The approvers of a type without files of its own (network, kernel activity): the
 * executable's basename; a file or prefix approver cannot be checked here, so its
 * presence lets everything through.
 */
static __always_inline bool approved_by_process(struct filter_state *fs)
{
	if (fs->mode != FILTER_APPROVE || (fs->approvers & (APPROVE_NAME | APPROVE_PREFIX)))
		return true;
	if (approve_cheap(fs))
		return true;
	count_filtered(fs->type);
	return false;
}

#endif /* VIGIL_SYSCALL_H */
