// SPDX-License-Identifier: GPL-2.0
/*
 * kernel activity family (types 48-63): one small program per syscall on its sys_exit
 * tracepoint (arguments from the saved registers, the result known), loaded and attached
 * only when a ruleset needs its event type. The header is the calling task after the call:
 * for set*id and capset, its new credentials.
 * Module syscalls exist only with CONFIG_MODULES; on kernels without them the sensor leaves
 * those programs out and reports the rules that need them as not applicable.
 * Program names: x_<syscall>.
 */
#include "syscall.h"

#define PR_SET_NAME 15
#define NSFS_MAGIC 0x6e736673
#define TASK_COMM_LEN 16
#define BPF_JMP 0x05
#define BPF_CALL 0x80

/* ---- ptrace ---- */

SEC("tracepoint/syscalls/sys_exit_ptrace")
int x_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	struct kernel_ptrace_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_PTRACE, &fs);

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_ptrace_event *)ev->data;
	e->ret = ctx->ret;
	e->request = ARG1(r);
	e->pid = ARG2(r);
	e->addr = ARG3(r);
	send(ctx, ev, sizeof(*e), EVENT_PTRACE);
	return 0;
}

/* ---- bpf ---- */

struct helper_scan {
	const struct bpf_insn *insns;
	__u32 n;
	__u32 pad;
	__u32 bits[8];
};

/* One instruction: a helper call is BPF_JMP|BPF_CALL with src_reg 0 and the helper id in imm. */
static long scan_insn(__u32 i, void *arg)
{
	struct helper_scan *h = arg;
	struct bpf_insn insn;

	if (i >= h->n || bpf_probe_read_user(&insn, sizeof(insn), &h->insns[i]) < 0)
		return 1;
	if (insn.code == (BPF_JMP | BPF_CALL) && insn.src_reg == 0 && insn.imm > 0 && insn.imm < 256)
		h->bits[(insn.imm >> 5) & 7] |= 1U << (insn.imm & 31);
	return 0;
}

/* The helpers a program being loaded calls, from its instructions in the caller's memory
 * (still there at sys_exit, whether the load succeeded or the verifier refused it). */
static __always_inline void scan_helpers(struct kernel_bpf_event *e, union bpf_attr *attr)
{
	struct helper_scan h = {};

	h.insns = (const struct bpf_insn *)attr->insns;
	h.n = attr->insn_cnt;
	if (h.n > VIGIL_BPF_INSNS_MAX) {
		h.n = VIGIL_BPF_INSNS_MAX;
		e->flags |= BPF_EV_F_HELPERS_TRUNCATED;
	}
	bpf_loop(VIGIL_BPF_INSNS_MAX, scan_insn, &h, 0);
	__builtin_memcpy(e->helpers, h.bits, sizeof(e->helpers));
	e->flags |= BPF_EV_F_HELPERS;
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int x_bpf(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	struct kernel_bpf_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_BPF, &fs);
	union bpf_attr *attr;
	__u32 size;

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_bpf_event *)ev->data;
	__builtin_memset(&e->cmd, 0, sizeof(*e) - offsetof(struct kernel_bpf_event, cmd));
	e->ret = ctx->ret;
	e->cmd = ARG1(r);
	if (e->cmd == BPF_MAP_CREATE || e->cmd == BPF_PROG_LOAD) {
		/* the attribute union, read into the scratch space past the record */
		attr = (union bpf_attr *)&ev->data[sizeof(*e)];
		size = ARG3(r);
		if (size > sizeof(*attr))
			size = sizeof(*attr);
		__builtin_memset(attr, 0, sizeof(*attr));
		if (bpf_probe_read_user(attr, BOUNDED(size, 255) & 255, (const void *)ARG2(r)) == 0) {
			if (e->cmd == BPF_MAP_CREATE) {
				e->map_type = attr->map_type;
				__builtin_memcpy(e->map_name, attr->map_name, sizeof(e->map_name));
			} else {
				e->prog_type = attr->prog_type;
				e->attach_type = attr->expected_attach_type;
				e->insn_cnt = attr->insn_cnt;
				__builtin_memcpy(e->prog_name, attr->prog_name, sizeof(e->prog_name));
				scan_helpers(e, attr);
			}
		}
		e->map_name[sizeof(e->map_name) - 1] = 0;
		e->prog_name[sizeof(e->prog_name) - 1] = 0;
	}
	send(ctx, ev, sizeof(*e), EVENT_BPF);
	return 0;
}

/* ---- init_module, finit_module, delete_module (CONFIG_MODULES only) ---- */

static __always_inline int do_module(void *ctx, __u32 type, long ret, __u32 flags, __u32 syscall_flags, long fd,
				     const char *uname, const char *uargs)
{
	struct kernel_module_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);
	__u32 cur;

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_module_event *)ev->data;
	cur = sizeof(*e);
	e->ret = ret;
	e->flags = flags;
	e->syscall_flags = syscall_flags;
	clear_file_info(&e->file);
	e->name.off = e->name.len = 0;
	e->args.off = e->args.len = 0;
	if (fd >= 0) {
		struct file *f = fd_file(fd);

		if (f)
			file_info_from_file(ev, &cur, &e->file, f);
		else
			e->file.flags |= FILE_F_PATH_ERROR;
	}
	if (uname)
		append_str(ev, &cur, &e->name, uname, true);
	if (uargs)
		append_str(ev, &cur, &e->args, uargs, true);
	send(ctx, ev, cur, type);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_init_module")
int x_init_module(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_module(ctx, EVENT_LOAD_MODULE, ctx->ret, MODULE_F_FROM_MEMORY, 0, -1, NULL, (const char *)ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_finit_module")
int x_finit_module(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_module(ctx, EVENT_LOAD_MODULE, ctx->ret, 0, ARG3(r), (int)ARG1(r), NULL, (const char *)ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_delete_module")
int x_delete_module(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_module(ctx, EVENT_UNLOAD_MODULE, ctx->ret, 0, ARG2(r), -1, (const char *)ARG1(r), NULL);
}

/* ---- mount, umount2 ---- */

static __always_inline int do_mount(void *ctx, __u32 type, long ret, const char *target, const char *source,
				    const char *fstype, __u64 flags)
{
	struct kernel_mount_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);
	__u32 cur;

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_mount_event *)ev->data;
	cur = sizeof(*e);
	e->ret = ret;
	e->flags = flags;
	e->source.off = e->source.len = 0;
	e->fs_type.off = e->fs_type.len = 0;
	clear_file_info(&e->mountpoint);
	file_info_lexical(ev, &cur, &e->mountpoint, AT_FDCWD, target);
	if (source)
		append_str(ev, &cur, &e->source, source, true);
	if (fstype)
		append_str(ev, &cur, &e->fs_type, fstype, true);
	send(ctx, ev, cur, type);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mount")
int x_mount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_mount(ctx, EVENT_MOUNT, ctx->ret, (const char *)ARG2(r), (const char *)ARG1(r), (const char *)ARG3(r),
			ARG4(r));
}

/* umount2(2) is the kernel's "umount" syscall */
SEC("tracepoint/syscalls/sys_exit_umount")
int x_umount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_mount(ctx, EVENT_UMOUNT, ctx->ret, (const char *)ARG1(r), NULL, NULL, ARG2(r));
}

/* ---- setuid, setreuid, setresuid, setfsuid and the gid ones ---- */

static __always_inline int do_setid(void *ctx, __u32 type, long ret, __u32 syscall, __s32 a1, __s32 a2, __s32 a3)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;
	struct kernel_setid_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_setid_event *)ev->data;
	e->ret = ret;
	e->syscall = syscall;
	e->arg1 = a1;
	e->arg2 = a2;
	e->arg3 = a3;
	e->uid = cred->uid.val;
	e->euid = cred->euid.val;
	e->suid = cred->suid.val;
	e->fsuid = cred->fsuid.val;
	e->gid = cred->gid.val;
	e->egid = cred->egid.val;
	e->sgid = cred->sgid.val;
	e->fsgid = cred->fsgid.val;
	send(ctx, ev, sizeof(*e), type);
	return 0;
}

#define SETID_PROG(name, type, syscall, a1, a2, a3)                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                     \
	int x_##name(struct trace_event_raw_sys_exit *ctx)                             \
	{                                                                              \
		struct pt_regs *r = syscall_regs();                                    \
		(void)r;                                                               \
		return do_setid(ctx, type, ctx->ret, syscall, a1, a2, a3);             \
	}

SETID_PROG(setuid, EVENT_SETUID, SETID_SETUID, ARG1(r), -1, -1)
SETID_PROG(setreuid, EVENT_SETUID, SETID_SETREUID, ARG1(r), ARG2(r), -1)
SETID_PROG(setresuid, EVENT_SETUID, SETID_SETRESUID, ARG1(r), ARG2(r), ARG3(r))
SETID_PROG(setfsuid, EVENT_SETUID, SETID_SETFSUID, ARG1(r), -1, -1)
SETID_PROG(setgid, EVENT_SETGID, SETID_SETGID, ARG1(r), -1, -1)
SETID_PROG(setregid, EVENT_SETGID, SETID_SETREGID, ARG1(r), ARG2(r), -1)
SETID_PROG(setresgid, EVENT_SETGID, SETID_SETRESGID, ARG1(r), ARG2(r), ARG3(r))
SETID_PROG(setfsgid, EVENT_SETGID, SETID_SETFSGID, ARG1(r), -1, -1)

/* ---- capset ---- */

SEC("tracepoint/syscalls/sys_exit_capset")
int x_capset(struct trace_event_raw_sys_exit *ctx)
{
	const struct cred *cred = BPF_CORE_READ(current_task(), cred);
	struct kernel_capset_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_CAPSET, &fs);

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_capset_event *)ev->data;
	e->ret = ctx->ret;
	/* kernel_cap_t is 64 bits wide whether it is a u64 or two u32s */
	e->cap_effective = e->cap_permitted = e->cap_inheritable = 0;
	bpf_probe_read_kernel(&e->cap_effective, 8, (void *)cred + bpf_core_field_offset(struct cred, cap_effective));
	bpf_probe_read_kernel(&e->cap_permitted, 8, (void *)cred + bpf_core_field_offset(struct cred, cap_permitted));
	bpf_probe_read_kernel(&e->cap_inheritable, 8, (void *)cred + bpf_core_field_offset(struct cred, cap_inheritable));
	send(ctx, ev, sizeof(*e), EVENT_CAPSET);
	return 0;
}

/* ---- kill, tkill, tgkill ---- */

static __always_inline int do_signal(void *ctx, long ret, __u32 syscall, __s32 pid, __s32 tid, __u32 sig)
{
	struct kernel_signal_event *e;
	struct filter_state fs;
	struct ev_scratch *ev;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	/* a process signalling itself is not a signal to another process (host pids; a
	 * caller in its own pid namespace is checked against the header below) */
	if (syscall == SIGNAL_TKILL ? (__u32)pid == (__u32)pid_tgid : (__u32)pid == pid_tgid >> 32)
		return 0;
	ev = begin(EVENT_SIGNAL, &fs);
	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_signal_event *)ev->data;
	fill_header_current(&e->hdr, EVENT_SIGNAL);
	if (syscall != SIGNAL_TKILL && e->hdr.pidns && pid == e->hdr.ns_pid && e->hdr.ns_pid != e->hdr.pid)
		return 0;
	e->ret = ret;
	e->pid = pid;
	e->tid = tid;
	e->sig = sig;
	e->syscall = syscall;
	emit(ctx, ev, sizeof(*e), EVENT_SIGNAL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_kill")
int x_kill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_signal(ctx, ctx->ret, SIGNAL_KILL, ARG1(r), 0, ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int x_tkill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_signal(ctx, ctx->ret, SIGNAL_TKILL, ARG1(r), ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int x_tgkill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_signal(ctx, ctx->ret, SIGNAL_TGKILL, ARG1(r), ARG2(r), ARG3(r));
}

/* ---- prctl ---- */

SEC("tracepoint/syscalls/sys_exit_prctl")
int x_prctl(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	struct kernel_prctl_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_PRCTL, &fs);
	char *name;
	long n;

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_prctl_event *)ev->data;
	e->ret = ctx->ret;
	e->option = ARG1(r);
	e->arg2 = ARG2(r);
	e->flags = 0;
	__builtin_memset(e->new_name, 0, sizeof(e->new_name));
	if (e->option == PR_SET_NAME) {
		/* read past what the kernel keeps to tell whether the name was cut */
		name = (char *)&ev->data[sizeof(*e)];
		n = bpf_probe_read_user_str(name, 2 * TASK_COMM_LEN, (const void *)e->arg2);
		if (n > TASK_COMM_LEN)
			e->flags |= PRCTL_F_NAME_TRUNCATED;
		if (n > 0)
			__builtin_memcpy(e->new_name, name, TASK_COMM_LEN - 1);
	}
	send(ctx, ev, sizeof(*e), EVENT_PRCTL);
	return 0;
}

/* ---- memfd_create ---- */

SEC("tracepoint/syscalls/sys_exit_memfd_create")
int x_memfd_create(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	struct kernel_memfd_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_MEMFD_CREATE, &fs);
	__u32 cur;

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_memfd_event *)ev->data;
	cur = sizeof(*e);
	e->ret = ctx->ret;
	e->flags = ARG2(r);
	append_str(ev, &cur, &e->name, (const char *)ARG1(r), true);
	send(ctx, ev, cur, EVENT_MEMFD_CREATE);
	return 0;
}

/* ---- process_vm_writev ---- */

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int x_process_vm_writev(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	struct kernel_vmwrite_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_PROCESS_VM_WRITEV, &fs);
	struct iovec iov = {};

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_vmwrite_event *)ev->data;
	e->ret = ctx->ret;
	e->pid = ARG1(r);
	e->liovcnt = ARG3(r);
	e->riovcnt = ARG5(r);
	e->flags = ARG6(r);
	e->remote_addr = 0;
	if (e->riovcnt > 0 && bpf_probe_read_user(&iov, sizeof(iov), (const void *)ARG4(r)) == 0)
		e->remote_addr = (__u64)iov.iov_base;
	send(ctx, ev, sizeof(*e), EVENT_PROCESS_VM_WRITEV);
	return 0;
}

/* ---- unshare, setns ---- */

/* before 6.18 the type was in the operations, not in ns_common */
struct proc_ns_operations___old {
	int type;
};

static __always_inline void ns_of_file(struct kernel_ns_event *e, struct file *f)
{
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	struct ns_common *ns;

	if (BPF_CORE_READ(inode, i_sb, s_magic) != NSFS_MAGIC)
		return; /* a pidfd, or not a namespace at all */
	ns = BPF_CORE_READ(inode, i_private);
	e->ns_inum = BPF_CORE_READ(ns, inum);
	if (bpf_core_field_exists(ns->ns_type)) {
		e->ns_type = BPF_CORE_READ(ns, ns_type);
	} else {
		const struct proc_ns_operations___old *ops = (const void *)BPF_CORE_READ(ns, ops);

		e->ns_type = BPF_CORE_READ(ops, type);
	}
}

static __always_inline int do_ns(void *ctx, __u32 type, long ret, __u64 flags, long fd)
{
	struct kernel_ns_event *e;
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);

	if (!ev || !approved_by_process(&fs))
		return 0;
	e = (struct kernel_ns_event *)ev->data;
	e->ret = ret;
	e->flags = flags;
	e->fd = fd;
	e->ns_type = 0;
	e->ns_inum = 0;
	e->pad = 0;
	if (fd >= 0) {
		struct file *f = fd_file(fd);

		if (f)
			ns_of_file(e, f);
	}
	send(ctx, ev, sizeof(*e), type);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int x_unshare(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_ns(ctx, EVENT_UNSHARE, ctx->ret, ARG1(r), -1);
}

SEC("tracepoint/syscalls/sys_exit_setns")
int x_setns(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_ns(ctx, EVENT_SETNS, ctx->ret, ARG2(r), (int)ARG1(r));
}
