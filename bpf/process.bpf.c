// SPDX-License-Identifier: GPL-2.0
/*
 * process family: exec, fork, exit on the sched raw tracepoints (no tracefs, no
 * trampolines). These events feed the sensor's process cache, so approvers do not drop
 * them: an exec that fails the approvers is sent flagged EVENT_F_UNAPPROVED.
 */
#include "filter.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void forget_discarder(__u32 tgid)
{
	if (bpf_map_lookup_elem(&discarders, &tgid))
		bpf_map_delete_elem(&discarders, &tgid);
}

/* Credentials beyond the header's: fs ids, login uid, capabilities (exec-time snapshot). */
static __always_inline void fill_creds(struct process_exec_event *e, struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	e->fsuid = BPF_CORE_READ(cred, fsuid.val);
	e->fsgid = BPF_CORE_READ(cred, fsgid.val);
	e->auid = 4294967295U;
	if (bpf_core_field_exists(task->loginuid))
		e->auid = BPF_CORE_READ(task, loginuid.val);
	e->pad = 0;
	/* kernel_cap_t is 64 bits wide whether it is a u64 or two u32s */
	e->cap_effective = 0;
	e->cap_permitted = 0;
	bpf_probe_read_kernel(&e->cap_effective, 8, (void *)cred + bpf_core_field_offset(struct cred, cap_effective));
	bpf_probe_read_kernel(&e->cap_permitted, 8, (void *)cred + bpf_core_field_offset(struct cred, cap_permitted));
}

/*
 * An exec of a program named in kill_exec is signalled here, before the new program runs
 * a single instruction of its own (bpf_send_signal targets current, the new image).
 * Independent of the event filters: a kill must not depend on whether the event is sent.
 */
static __always_inline bool in_kill_scope(__u32 scope)
{
	struct kill_scope_key k = { .scope = scope };

	/* level 0 is the root; the task's own cgroup is the deepest level that answers */
	for (int level = 1; level <= VIGIL_KILL_SCOPE_DEPTH; level++) {
		k.cgroup_id = bpf_get_current_ancestor_cgroup_id(level);
		if (!k.cgroup_id)
			return false;
		if (bpf_map_lookup_elem(&kill_scopes, &k))
			return true;
	}
	return false;
}

static __always_inline bool kill_on_exec(struct linux_binprm *bprm)
{
	__u32 type = EVENT_EXEC;
	struct type_filter *tf = bpf_map_lookup_elem(&filters, &type);
	struct name_key key = {};
	struct kill_verdict *v;

	if (!tf || !(tf->approvers & USE_KILL_EXEC))
		return false;
	key.type = EVENT_EXEC;
	key.kind = NAME_KIND_EXE;
	if (bpf_probe_read_kernel_str(key.name, sizeof(key.name), BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name)) <= 0)
		return false;
	v = bpf_map_lookup_elem(&kill_exec, &key);
	if (!v)
		return false;
	if (v->scope && !in_kill_scope(v->scope))
		return false;
	return bpf_send_signal(v->signal) == 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct process_exec_event *e;
	struct filter_state fs;
	struct ev_scratch *ev;
	const char *filename, *interp;
	struct mm_struct *mm;
	struct tty_struct *tty;
	__u32 cur = sizeof(*e);
	bool trunc, killed;

	/* a discarder was about the program this process ran until now (look before
	 * deleting: a lookup takes no lock, and most processes have no discarder) */
	forget_discarder(tgid);
	if (is_self())
		return 0;
	killed = kill_on_exec(bprm);
	if (!filter_enter(EVENT_EXEC, &fs))
		return 0;
	ev = scratch();
	if (!ev)
		return 0;
	e = (struct process_exec_event *)ev->data;
	fill_header_current(&e->hdr, EVENT_EXEC);
	if (killed)
		e->hdr.flags |= EVENT_F_KILLED;
	e->flags = 0;
	e->argc = BPF_CORE_READ(bprm, argc);
	e->envc = BPF_CORE_READ(bprm, envc);
	e->old_tid = old_pid;
	fill_creds(e, task);
	clear_file_info(&e->file);
	file_info_from_file(ev, &cur, &e->file, BPF_CORE_READ(bprm, file));

	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	if (!append_str(ev, &cur, &e->filename, filename, false))
		e->flags |= EXEC_F_FIELD_SKIPPED;
	e->interpreter.off = 0;
	e->interpreter.len = 0;
	/* binfmt_script replaces bprm->interp; otherwise it is bprm->filename itself */
	if (interp != filename) {
		e->flags |= EXEC_F_SCRIPT;
		if (!append_str(ev, &cur, &e->interpreter, interp, false))
			e->flags |= EXEC_F_FIELD_SKIPPED;
	}

	/* argv and envp are on the new stack already: read them from the new mm */
	mm = BPF_CORE_READ(task, mm);
	if (!append_user_block(ev, &cur, &e->args, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end), &trunc))
		e->flags |= EXEC_F_FIELD_SKIPPED;
	if (trunc) {
		e->flags |= EXEC_F_ARGS_TRUNCATED;
		count_drop(DROP_ARGS_TRUNCATED);
	}
	if (!append_user_block(ev, &cur, &e->envs, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end), &trunc))
		e->flags |= EXEC_F_FIELD_SKIPPED;
	if (trunc) {
		e->flags |= EXEC_F_ENVS_TRUNCATED;
		count_drop(DROP_ENVS_TRUNCATED);
	}
	write_path(ev, &cur, &e->cwd, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt),
		   VIGIL_PATH_MAX);
	e->tty.off = 0;
	e->tty.len = 0;
	tty = BPF_CORE_READ(task, signal, tty);
	if (tty)
		append_str(ev, &cur, &e->tty, (void *)tty + bpf_core_field_offset(struct tty_struct, name), false);

	/* a script's own path is only in filename (maybe relative): never rule it out here */
	if (fs.mode == FILTER_APPROVE && !(e->flags & EXEC_F_SCRIPT) && !approve_cheap(&fs) &&
	    !approve_built_path(&fs, ev, &e->file)) {
		e->hdr.flags |= EVENT_F_UNAPPROVED;
		count_filtered(EVENT_EXEC);
	}
	emit(ctx, ev, cur, EVENT_EXEC);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(tp_fork, struct task_struct *parent, struct task_struct *child)
{
	struct process_fork_event *e;
	struct filter_state fs;
	struct ev_scratch *ev;

	/* threads share the process: only new thread groups are processes. The child is
	 * reported even when the sensor forked it: it is not the sensor. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (!filter_enter(EVENT_FORK, &fs))
		return 0;
	ev = scratch();
	if (!ev)
		return 0;
	e = (struct process_fork_event *)ev->data;
	fill_header(&e->hdr, child, EVENT_FORK);
	e->parent_pid = BPF_CORE_READ(parent, tgid);
	e->parent_tid = BPF_CORE_READ(parent, pid);
	e->clone_flags = 0;
	emit(ctx, ev, sizeof(*e), EVENT_FORK);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *task)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct process_exit_event *e;
	struct filter_state fs;
	struct ev_scratch *ev;

	/* signal->live reached 0 in do_exit before this tracepoint: the last thread is leaving
	 * (read rather than the group_dead argument, which older kernels lack) */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	forget_discarder(tgid);
	if (is_self() || !filter_enter(EVENT_EXIT, &fs))
		return 0;
	ev = scratch();
	if (!ev)
		return 0;
	e = (struct process_exit_event *)ev->data;
	fill_header_current(&e->hdr, EVENT_EXIT);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->pad = 0;
	emit(ctx, ev, sizeof(*e), EVENT_EXIT);
	return 0;
}
