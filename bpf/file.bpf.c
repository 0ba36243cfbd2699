// SPDX-License-Identifier: GPL-2.0
/*
 * file family: one small program per syscall, on its sys_exit tracepoint only. The
 * arguments are read back from the task's saved registers (they are the ones the syscall
 * used, after any seccomp/ptrace rewrite), so no sys_enter program and no per-thread map
 * are needed. At exit the result is known: an fd names exactly the file that was opened
 * (symlinks and dirfd already resolved by the kernel); for the other syscalls the path is
 * the resolved dirfd/cwd joined with the string (FILE_F_PATH_LEXICAL).
 * Program names: x_<syscall>, which the sensor maps to event types (sensor/src/kernel).
 */
#include "syscall.h"

#define BY_FD ((const char *)0)
/* mixed into the seed of a names-only verdict, so it never meets a whole path's */
#define NAME_ONLY_SEED 0x4e414d45ULL

/* fi := the file named by (dirfd, upath), or by the fd dirfd when upath is BY_FD. */
static __always_inline void resolve(struct ev_scratch *ev, __u32 *cur, struct file_info *fi, long dirfd,
				    const char *upath)
{
	clear_file_info(fi);
	if (upath) {
		file_info_lexical(ev, cur, fi, dirfd, upath);
		return;
	}
	struct file *f = fd_file(dirfd);

	if (f)
		file_info_from_file(ev, cur, fi, f);
	else
		fi->flags |= FILE_F_PATH_ERROR;
}

static __always_inline bool approved(struct filter_state *fs, struct ev_scratch *ev, struct file_info *fi)
{
	return fs->mode != FILTER_APPROVE || approve_cheap(fs) || approve_built_path(fs, ev, fi);
}

static __always_inline int finish_one(void *ctx, struct filter_state *fs, struct ev_scratch *ev,
				      struct file_info *fi, __u32 cur, long dirfd, const char *upath)
{
	resolve(ev, &cur, fi, dirfd, upath);
	if (!approved(fs, ev, fi)) {
		count_filtered(fs->type);
		return 0;
	}
	send(ctx, ev, cur, fs->type);
	return 0;
}

static __always_inline int finish_two(void *ctx, struct filter_state *fs, struct ev_scratch *ev,
				      struct file_info *a, struct file_info *b, __u32 cur, long dfd_a,
				      const char *path_a, long dfd_b, const char *path_b)
{
	resolve(ev, &cur, a, dfd_a, path_a);
	resolve(ev, &cur, b, dfd_b, path_b);
	if (!approved(fs, ev, a) && !approved(fs, ev, b)) {
		count_filtered(fs->type);
		return 0;
	}
	send(ctx, ev, cur, fs->type);
	return 0;
}

/* ---- open, openat, openat2, creat ---- */

enum open_call { CALL_OPEN, CALL_OPENAT, CALL_OPENAT2, CALL_CREAT };

/* The arguments of an open call, read once the type's filter lets the event go on. */
static __always_inline void open_args(struct task_struct *task, enum open_call call, long *dirfd,
				      const char **upath, __u32 *flags, __u32 *mode)
{
	struct pt_regs *r = task_regs(task);
	struct open_how how = {};

	switch (call) {
	case CALL_OPEN:
		*dirfd = AT_FDCWD;
		*upath = (const char *)ARG1(r);
		*flags = ARG2(r);
		*mode = ARG3(r);
		break;
	case CALL_OPENAT:
		*dirfd = (int)ARG1(r);
		*upath = (const char *)ARG2(r);
		*flags = ARG3(r);
		*mode = ARG4(r);
		break;
	case CALL_OPENAT2:
		*dirfd = (int)ARG1(r);
		*upath = (const char *)ARG2(r);
		bpf_probe_read_user(&how, sizeof(how), (const void *)ARG3(r));
		*flags = how.flags;
		*mode = how.mode;
		break;
	case CALL_CREAT:
		*dirfd = AT_FDCWD;
		*upath = (const char *)ARG1(r);
		*flags = O_CREAT | O_WRONLY | O_TRUNC;
		*mode = ARG2(r);
		break;
	}
}

static __always_inline int do_open(void *ctx, long ret, enum open_call call)
{
	long dirfd = AT_FDCWD;
	const char *upath = NULL;
	__u32 flags = 0, mode = 0;
	struct filter_state fs;
	struct file_open_event *e;
	struct ev_scratch *ev;
	struct path_parts *pp = NULL;
	struct file *f = NULL;
	struct dentry *dentry = NULL;
	struct vfsmount *vfsmnt = NULL;
	__u64 *slot = NULL, sig = 0;
	bool ok;
	__u32 cur = sizeof(*e);

	/* one task pointer for the whole program: each helper call costs here */
	struct task_struct *task = bpf_get_current_task_btf();

	if (is_task_self(task) || !filter_enter(EVENT_OPEN, &fs))
		return 0;
	open_args(task, call, &dirfd, &upath, &flags, &mode);
	fs.flags = flags;
	if (ret >= 0)
		f = task_fd_file(task, ret);
	/* the hot path: decide on flags and executable, copy nothing */
	ok = fs.mode != FILTER_APPROVE || approve_cheap(&fs);
	if (f && !file_path_of(f, &dentry, &vfsmnt))
		f = NULL; /* unreadable: the lexical path below */
	/* f set: file_path_of gave both dentry and vfsmnt */
	if (!ok && f && (fs.approvers & (APPROVE_NAME | APPROVE_PREFIX))) {
		bool cache;
		__u64 seed = prefix_cache_seed(&fs, &cache);

		pp = parts();
		if (fs.approvers & APPROVE_PREFIX) {
			/*
			 * The path decides: hash its walk, and stop if this very path (same
			 * dentries, names, mounts, root) was refused by the name and prefix
			 * approvers before.
			 */
			if (pp && cache) {
				walk_task_path(task, pp, dentry, vfsmnt, seed, false);
				if (pp->walk.done == 1) {
					sig = sig_final(pp->walk.sig);
					if (refused_before(EVENT_OPEN, sig, &slot))
						return 0;
				}
			}
		} else {
			/* names only: the opened dentry's name decides, remembered by that dentry alone */
			if (pp && cache) {
				sig = leaf_sig(pp, dentry, sig_mix(seed, NAME_ONLY_SEED));
				if (refused_before(EVENT_OPEN, sig, &slot))
					return 0;
			}
			if (!approve_dentry_name(&fs, dentry)) {
				if (slot)
					*slot = sig;
				count_filtered(EVENT_OPEN);
				return 0;
			}
			ok = true;
		}
	}
	/* the opened dentry's name */
	if (!ok && f && (fs.approvers & APPROVE_NAME))
		ok = approve_dentry_name(&fs, dentry);
	if (!ok && f && !(fs.approvers & APPROVE_PREFIX)) {
		count_filtered(EVENT_OPEN);
		return 0;
	}
	ev = scratch();
	if (!ev)
		return 0;
	e = (struct file_open_event *)ev->data;
	e->ret = ret;
	e->flags = flags;
	e->mode = mode;
	clear_file_info(&e->file);
	if (f) {
		/* the path first: a prefix approver needs nothing else to say no (the walk
		 * above only hashed it; this one records the components) */
		e->file.flags |= write_path(ev, &cur, &e->file.path, dentry, vfsmnt, VIGIL_PATH_MAX);
		if (!ok) {
			/* the name was checked above: only the prefix is left */
			fs.approvers &= ~APPROVE_NAME;
			ok = approve_built_path(&fs, ev, &e->file);
			/* refused by the name and the prefix approvers: remembered */
			if (!ok && slot)
				*slot = sig;
		}
		if (ok) {
			fill_inode(&e->file, dentry, vfsmnt);
			if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
				e->file.flags |= FILE_F_CREATED;
		}
	} else {
		file_info_lexical(ev, &cur, &e->file, dirfd, upath);
		ok = ok || approve_built_path(&fs, ev, &e->file);
	}
	if (!ok) {
		count_filtered(EVENT_OPEN);
		return 0;
	}
	send(ctx, ev, cur, EVENT_OPEN);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int x_open(struct trace_event_raw_sys_exit *ctx)
{
	return do_open(ctx, ctx->ret, CALL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int x_openat(struct trace_event_raw_sys_exit *ctx)
{
	return do_open(ctx, ctx->ret, CALL_OPENAT);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int x_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return do_open(ctx, ctx->ret, CALL_OPENAT2);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int x_creat(struct trace_event_raw_sys_exit *ctx)
{
	return do_open(ctx, ctx->ret, CALL_CREAT);
}

/* ---- unlink, unlinkat, rmdir ---- */

static __always_inline int do_unlink(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath,
				     __u32 flags, __u32 type)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);
	struct file_unlink_event *e;

	if (!ev)
		return 0;
	e = (struct file_unlink_event *)ev->data;
	e->ret = ctx->ret;
	e->flags = flags;
	e->pad = 0;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int x_unlink(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_unlink(ctx, AT_FDCWD, (const char *)ARG1(r), 0, EVENT_UNLINK);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int x_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();
	__u32 flags = ARG3(r);

	return do_unlink(ctx, (int)ARG1(r), (const char *)ARG2(r), flags,
			 flags & AT_REMOVEDIR ? EVENT_RMDIR : EVENT_UNLINK);
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int x_rmdir(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_unlink(ctx, AT_FDCWD, (const char *)ARG1(r), AT_REMOVEDIR, EVENT_RMDIR);
}

/* ---- rename, renameat, renameat2 ---- */

static __always_inline int do_rename(struct trace_event_raw_sys_exit *ctx, long odfd, const char *old, long ndfd,
				     const char *new, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_RENAME, &fs);
	struct file_rename_event *e;

	if (!ev)
		return 0;
	e = (struct file_rename_event *)ev->data;
	e->ret = ctx->ret;
	e->flags = flags;
	e->pad = 0;
	return finish_two(ctx, &fs, ev, &e->file, &e->destination, sizeof(*e), odfd, old, ndfd, new);
}

SEC("tracepoint/syscalls/sys_exit_rename")
int x_rename(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_rename(ctx, AT_FDCWD, (const char *)ARG1(r), AT_FDCWD, (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat")
int x_renameat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_rename(ctx, (int)ARG1(r), (const char *)ARG2(r), (int)ARG3(r), (const char *)ARG4(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat2")
int x_renameat2(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_rename(ctx, (int)ARG1(r), (const char *)ARG2(r), (int)ARG3(r), (const char *)ARG4(r), ARG5(r));
}

/* ---- chmod, fchmod, fchmodat, fchmodat2 ---- */

static __always_inline int do_chmod(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath,
				    __u32 mode, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_CHMOD, &fs);
	struct file_chmod_event *e;

	if (!ev)
		return 0;
	e = (struct file_chmod_event *)ev->data;
	e->ret = ctx->ret;
	e->mode = mode;
	e->flags = flags;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_chmod")
int x_chmod(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chmod(ctx, AT_FDCWD, (const char *)ARG1(r), ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmod")
int x_fchmod(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chmod(ctx, (int)ARG1(r), BY_FD, ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat")
int x_fchmodat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chmod(ctx, (int)ARG1(r), (const char *)ARG2(r), ARG3(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat2")
int x_fchmodat2(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chmod(ctx, (int)ARG1(r), (const char *)ARG2(r), ARG3(r), ARG4(r));
}

/* ---- chown, lchown, fchown, fchownat ---- */

static __always_inline int do_chown(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath,
				    __s32 uid, __s32 gid, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_CHOWN, &fs);
	struct file_chown_event *e;

	if (!ev)
		return 0;
	e = (struct file_chown_event *)ev->data;
	e->ret = ctx->ret;
	e->uid = uid;
	e->gid = gid;
	e->flags = flags;
	e->pad = 0;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_chown")
int x_chown(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chown(ctx, AT_FDCWD, (const char *)ARG1(r), ARG2(r), ARG3(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_lchown")
int x_lchown(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chown(ctx, AT_FDCWD, (const char *)ARG1(r), ARG2(r), ARG3(r), AT_SYMLINK_NOFOLLOW);
}

SEC("tracepoint/syscalls/sys_exit_fchown")
int x_fchown(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chown(ctx, (int)ARG1(r), BY_FD, ARG2(r), ARG3(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchownat")
int x_fchownat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_chown(ctx, (int)ARG1(r), (const char *)ARG2(r), ARG3(r), ARG4(r), ARG5(r));
}

/* ---- link, linkat ---- */

static __always_inline int do_link(struct trace_event_raw_sys_exit *ctx, long odfd, const char *old, long ndfd,
				   const char *new, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_LINK, &fs);
	struct file_link_event *e;

	if (!ev)
		return 0;
	e = (struct file_link_event *)ev->data;
	e->ret = ctx->ret;
	e->flags = flags;
	e->pad = 0;
	return finish_two(ctx, &fs, ev, &e->file, &e->destination, sizeof(*e), odfd, old, ndfd, new);
}

SEC("tracepoint/syscalls/sys_exit_link")
int x_link(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_link(ctx, AT_FDCWD, (const char *)ARG1(r), AT_FDCWD, (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_linkat")
int x_linkat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_link(ctx, (int)ARG1(r), (const char *)ARG2(r), (int)ARG3(r), (const char *)ARG4(r), ARG5(r));
}

/* ---- symlink, symlinkat ---- */

static __always_inline int do_symlink(struct trace_event_raw_sys_exit *ctx, const char *target, long ndfd,
				      const char *linkpath)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_SYMLINK, &fs);
	struct file_symlink_event *e;
	struct file_info tfi = {};
	__u32 cur = sizeof(*e);

	if (!ev)
		return 0;
	e = (struct file_symlink_event *)ev->data;
	e->ret = ctx->ret;
	e->pad = 0;
	resolve(ev, &cur, &e->file, ndfd, linkpath);
	/* the target is kept as given; approvers see it as a path too (superset) */
	tfi.flags = FILE_F_PATH_LEXICAL;
	if (!append_str(ev, &cur, &e->target, target, true))
		tfi.flags |= FILE_F_PATH_ERROR;
	tfi.path = e->target;
	if (!approved(&fs, ev, &e->file) && !approved(&fs, ev, &tfi)) {
		count_filtered(EVENT_SYMLINK);
		return 0;
	}
	send(ctx, ev, cur, EVENT_SYMLINK);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_symlink")
int x_symlink(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_symlink(ctx, (const char *)ARG1(r), AT_FDCWD, (const char *)ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_symlinkat")
int x_symlinkat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_symlink(ctx, (const char *)ARG1(r), (int)ARG2(r), (const char *)ARG3(r));
}

/* ---- mkdir, mkdirat ---- */

static __always_inline int do_mkdir(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath, __u32 mode)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_MKDIR, &fs);
	struct file_mkdir_event *e;

	if (!ev)
		return 0;
	e = (struct file_mkdir_event *)ev->data;
	e->ret = ctx->ret;
	e->mode = mode;
	e->pad = 0;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int x_mkdir(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_mkdir(ctx, AT_FDCWD, (const char *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_mkdirat")
int x_mkdirat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_mkdir(ctx, (int)ARG1(r), (const char *)ARG2(r), ARG3(r));
}

/* ---- utime, utimes, futimesat, utimensat ---- */

static __always_inline int do_utimes(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_UTIMES, &fs);
	struct file_utimes_event *e;

	if (!ev)
		return 0;
	e = (struct file_utimes_event *)ev->data;
	e->ret = ctx->ret;
	e->flags = flags;
	e->pad = 0;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_utime")
int x_utime(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_utimes(ctx, AT_FDCWD, (const char *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_utimes")
int x_utimes(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_utimes(ctx, AT_FDCWD, (const char *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_futimesat")
int x_futimesat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_utimes(ctx, (int)ARG1(r), (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_utimensat")
int x_utimensat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	/* a NULL path means "the file behind dirfd" (futimens) */
	return do_utimes(ctx, (int)ARG1(r), (const char *)ARG2(r), ARG4(r));
}

/* ---- setxattr, lsetxattr, fsetxattr, setxattrat; removexattr family ---- */

static __always_inline int do_xattr(struct trace_event_raw_sys_exit *ctx, __u32 type, long dirfd, const char *upath,
				    const char *name, __u32 flags)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(type, &fs);
	struct file_xattr_event *e;
	__u32 cur = sizeof(*e);

	if (!ev)
		return 0;
	e = (struct file_xattr_event *)ev->data;
	e->ret = ctx->ret;
	e->flags = flags;
	e->pad = 0;
	e->pad2 = 0;
	append_str(ev, &cur, &e->name, name, true);
	return finish_one(ctx, &fs, ev, &e->file, cur, dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_setxattr")
int x_setxattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_SETXATTR, AT_FDCWD, (const char *)ARG1(r), (const char *)ARG2(r), ARG5(r));
}

SEC("tracepoint/syscalls/sys_exit_lsetxattr")
int x_lsetxattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_SETXATTR, AT_FDCWD, (const char *)ARG1(r), (const char *)ARG2(r), ARG5(r));
}

SEC("tracepoint/syscalls/sys_exit_fsetxattr")
int x_fsetxattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_SETXATTR, (int)ARG1(r), BY_FD, (const char *)ARG2(r), ARG5(r));
}

SEC("tracepoint/syscalls/sys_exit_setxattrat")
int x_setxattrat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_SETXATTR, (int)ARG1(r), (const char *)ARG2(r), (const char *)ARG4(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_removexattr")
int x_removexattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_REMOVEXATTR, AT_FDCWD, (const char *)ARG1(r), (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_lremovexattr")
int x_lremovexattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_REMOVEXATTR, AT_FDCWD, (const char *)ARG1(r), (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_fremovexattr")
int x_fremovexattr(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_REMOVEXATTR, (int)ARG1(r), BY_FD, (const char *)ARG2(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_removexattrat")
int x_removexattrat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_xattr(ctx, EVENT_REMOVEXATTR, (int)ARG1(r), (const char *)ARG2(r), (const char *)ARG4(r), 0);
}

/* ---- truncate, ftruncate ---- */

static __always_inline int do_truncate(struct trace_event_raw_sys_exit *ctx, long dirfd, const char *upath,
				       __s64 length)
{
	struct filter_state fs;
	struct ev_scratch *ev = begin(EVENT_TRUNCATE, &fs);
	struct file_truncate_event *e;

	if (!ev)
		return 0;
	e = (struct file_truncate_event *)ev->data;
	e->ret = ctx->ret;
	e->length = length;
	/* the rules see a truncate as an open for writing that truncates (sensor enrich stage) */
	fs.flags = O_WRONLY | O_TRUNC;
	return finish_one(ctx, &fs, ev, &e->file, sizeof(*e), dirfd, upath);
}

SEC("tracepoint/syscalls/sys_exit_truncate")
int x_truncate(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_truncate(ctx, AT_FDCWD, (const char *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_ftruncate")
int x_ftruncate(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *r = syscall_regs();

	return do_truncate(ctx, (int)ARG1(r), BY_FD, ARG2(r));
}
