/* SPDX-License-Identifier: GPL-2.0 */
/*
 * path.h: absolute paths without bpf_d_path (not allowed from tracepoints).
 *
 * resolve_path() walks from a (dentry, vfsmount) up to the task's root, crossing mount
 * points through struct mount (container_of the vfsmount), and records each component's
 * name pointer in path_buf, leaf first. A second loop writes the components root first
 * into the record. Both loops are bpf_loop callbacks, so the verifier checks each body
 * once however deep the path is.
 *
 * Paths are relative to the task's root (fs->root): a process in a container or chroot
 * sees the path it used, which is what rules about it are written against.
 */
#ifndef VIGIL_PATH_H
#define VIGIL_PATH_H

#include "vigil.h"

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * ADDR(pp, p): the typed kernel pointer p (a KVIEW field) as a number, to hash, compare or
 * offset, none of which the verifier allows on typed pointers. It goes through map memory,
 * whose contents the verifier does not track: a store and a load, no helper call.
 */
#define ADDR(pp, p)                                              \
	({                                                       \
		(pp)->walk.tmp = (__u64)(p);                     \
		*(volatile __u64 *)&(pp)->walk.tmp;              \
	})

/*
 * The walk's signature: a 64-bit hash of everything the path string is made of. Each
 * dentry (its address, d_seq, name hash and length), each mount crossed and the task's
 * root. A dentry's name and parent change only in d_move, which bumps its d_seq; a freed
 * and reused dentry needs the same address, parent and name hash (salted by the parent's
 * address) to look alike. The inode is not in it: the verdict is about the path string.
 * A cached refusal's cost is this walk, bound by the chain of loads from the leaf to the
 * root and the chain of multiplies: each step folds its dentry into one value off the
 * chain and puts one mix on it.
 */
#define WALK_INLINE_STEPS 8
#define SIG_K1 0x9E3779B97F4A7C15ULL
#define SIG_K2 0xC2B2AE3D27D4EB4FULL
#define SIG_K3 0xD6E8FEB86659FD93ULL

static __always_inline __u64 sig_mix(__u64 h, __u64 x)
{
	h ^= x * SIG_K1;
	h = (h << 31) | (h >> 33);
	return h * 0xBF58476D1CE4E5B9ULL;
}

/*
 * One link of the walk's chain: for each x a bijection of h (so paths that differ in one
 * component never meet), one xor and one multiply on the chain; sig_final mixes the rest.
 */
static __always_inline __u64 sig_fold(__u64 h, __u64 x)
{
	return (h ^ x) * SIG_K3;
}

static __always_inline __u64 sig_final(__u64 h)
{
	h ^= h >> 30;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 27;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return h | 1; /* never 0, the empty slot */
}

/*
 * One dentry into a signature: its address dv plus its name (d_seq, length, hash; the
 * hash is salted by the parent's address), times an odd constant: for one dentry, another
 * name is another value. d is dv through KVIEW.
 */
static __always_inline __u64 sig_dentry(__u64 h, __u64 dv, struct dentry *d)
{
	__u64 name = d->d_name.hash_len ^ ((__u64)d->d_seq.seqcount.sequence << 40);

	return sig_fold(h, dv + name * SIG_K2);
}

/* The signature of one dentry: all a verdict on its basename depends on. */
static __always_inline __u64 leaf_sig(struct path_parts *pp, struct dentry *dentry, __u64 seed)
{
	return sig_final(sig_dentry(seed, ADDR(pp, dentry), KVIEW(struct dentry, dentry)));
}

/*
 * One step of the walk in w from the dentry *cur: 0 to go on (*cur is then the next one),
 * 1 when it stopped (w->done says why). w is pp->walk in the bpf_loop callbacks, a copy on
 * the stack (in registers) in the inline steps. Kernel memory through KVIEW, plain loads:
 * a helper call costs more here than the rest of the step. The parent pointers stay typed
 * (compared, never computed with): the chain of loads from the leaf to the root is the
 * critical path, and turning each into a number (ADDR) would add a store and a load to it.
 * record: keep each component's name for write_walked (a path that is written); otherwise
 * hash them (a signature; write_walked does not need one).
 */
static __always_inline long walk_one(struct path_parts *pp, struct walk_state *w, struct dentry **cur,
				     bool record)
{
	struct dentry *d = *cur, *parent;
	__u32 idx, len;

	if ((__u64)d == w->root_dentry && w->vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	parent = d->d_parent;
	len = d->d_name.len;
	if (!record)
		w->sig = sig_dentry(w->sig, ADDR(pp, d), d);
	idx = w->depth;
	if ((__u64)d == w->mnt_root || d == parent) {
		struct mount *mnt;
		__u64 up, vfsmnt;
		struct dentry *mp;

		/* a dentry of an internal fs (memfd, pipe): no place in any tree, only its name */
		if ((__u64)d != w->mnt_root) {
			if (record && idx < PATH_DEPTH_MAX && len) {
				pp->name[idx & PATH_DEPTH_MASK] = ADDR(pp, d->d_name.name);
				pp->len[idx & PATH_DEPTH_MASK] = len;
				w->depth = idx + 1;
			}
			w->done = 1;
			return 1;
		}
		mnt = KVIEW(struct mount, real_mount((struct vfsmount *)w->vfsmnt));
		up = ADDR(pp, mnt->mnt_parent);
		/* the top of the mount tree: its own parent */
		if (up == w->vfsmnt - bpf_core_field_offset(struct mount, mnt) || !up) {
			w->done = 1;
			return 1;
		}
		vfsmnt = up + bpf_core_field_offset(struct mount, mnt);
		mp = mnt->mnt_mountpoint;
		if (!record)
			w->sig = sig_fold(w->sig, vfsmnt + ADDR(pp, mp) * SIG_K2);
		*cur = mp;
		w->vfsmnt = vfsmnt;
		w->mnt_root = ADDR(pp, KVIEW(struct vfsmount, vfsmnt)->mnt_root);
		return 0;
	}
	if (record) {
		/* a signature's walk ends at the root or with the bpf_loop bound (done stays 0) */
		if (idx >= PATH_DEPTH_MAX)
			return 1; /* too deep: done stays 0, reported as truncated */
		pp->name[idx & PATH_DEPTH_MASK] = ADDR(pp, d->d_name.name);
		pp->len[idx & PATH_DEPTH_MASK] = len;
		w->depth = idx + 1;
	}
	*cur = parent;
	return 0;
}

/* A bpf_loop step on pp->walk, whose dentry is kept there as a number between calls. */
static __always_inline long walk_map_step(bool record)
{
	struct path_parts *pp = parts();
	struct dentry *d;
	long stop;

	if (!pp)
		return 1;
	d = KVIEW(struct dentry, pp->walk.dentry);
	stop = walk_one(pp, &pp->walk, &d, record);
	pp->walk.dentry = ADDR(pp, d);
	return stop;
}

static long walk_step(__u32 i, void *arg)
{
	return walk_map_step(true);
}

/* The same without recording the components: for the signature alone. */
static long sig_step(__u32 i, void *arg)
{
	return walk_map_step(false);
}

static long write_step(__u32 i, void *arg)
{
	struct path_parts *pp = parts();
	struct write_state *w;
	struct ev_scratch *ev;
	__u32 idx, len, rel;
	__u64 at;
	__u32 zero = 0;

	ev = bpf_map_lookup_elem(&ev_buf, &zero);
	if (!pp || !ev)
		return 1;
	w = &pp->write;
	if (w->left == 0)
		return 1;
	idx = (w->left - 1) & PATH_DEPTH_MASK;
	len = pp->len[idx];
	if (len > NAME_MAX)
		len = NAME_MAX;
	rel = w->rel;
	if (rel + 1 + len >= w->limit) {
		w->truncated = 1;
		return 1;
	}
	/* start < 16 KiB and rel < 4 KiB: the masks keep the values and bound the writes */
	at = BOUNDED(w->start, EV_MASK) + BOUNDED(rel, VIGIL_PATH_MAX - 1);
	ev->data[at] = '/';
	bpf_probe_read_kernel(&ev->data[at + 1], BOUNDED(len, NAME_MAX), (const void *)pp->name[idx]);
	w->rel = rel + 1 + len;
	w->left = idx;
	return 0;
}

/*
 * Walks (dentry, vfsmnt) up to the task's root into pp->walk: with record, the components,
 * leaf first (write_walked needs them); without, the signature, started from seed (a
 * remembered refusal needs no more).
 */
static __always_inline void walk_task_path(struct task_struct *task, struct path_parts *pp, struct dentry *dentry,
					   struct vfsmount *vfsmnt, __u64 seed, bool record)
{
	/* typed (BTF) task: plain loads, not helper calls */
	struct fs_struct *tfs = task->fs;
	struct walk_state w = {};
	struct dentry *d = KVIEW(struct dentry, dentry);
	long stop = 0;

	w.vfsmnt = ADDR(pp, vfsmnt);
	w.mnt_root = ADDR(pp, KVIEW(struct vfsmount, vfsmnt)->mnt_root);
	w.root_dentry = ADDR(pp, tfs->root.dentry);
	w.root_mnt = ADDR(pp, tfs->root.mnt);
	if (!record) {
		w.sig = sig_fold(seed, w.vfsmnt + w.root_dentry * SIG_K2 + w.root_mnt * SIG_K1);
		/*
		 * A signature's walk, the hot path of a refused open: first the plain steps (a
		 * dentry below its mount's root and the task's root) with as little as possible
		 * in registers; the root, mount crossings and anything odd go on below.
		 */
		for (int i = 0; i < WALK_INLINE_STEPS; i++) {
			struct dentry *parent = d->d_parent;

			if ((__u64)d == w.root_dentry || (__u64)d == w.mnt_root || d == parent)
				break;
			w.sig = sig_dentry(w.sig, ADDR(pp, d), d);
			d = parent;
		}
	}
	/* the next steps inline on a copy the compiler keeps in registers (most paths end
	 * there), the rest as bpf_loop callbacks on pp->walk, a call each */
	for (int i = 0; i < (record ? WALK_INLINE_STEPS : 2) && !stop; i++)
		stop = walk_one(pp, &w, &d, record);
	pp->walk.dentry = ADDR(pp, d);
	pp->walk.vfsmnt = w.vfsmnt;
	pp->walk.mnt_root = w.mnt_root;
	pp->walk.root_dentry = w.root_dentry;
	pp->walk.root_mnt = w.root_mnt;
	pp->walk.depth = w.depth;
	pp->walk.done = w.done;
	pp->walk.sig = w.sig;
	if (!stop)
		bpf_loop(PATH_DEPTH_MAX + 32 - WALK_INLINE_STEPS, record ? walk_step : sig_step, NULL, 0);
}

/* The components of (dentry, vfsmnt) up to the current task's root, for write_walked. */
static __always_inline void walk_path(struct path_parts *pp, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	walk_task_path(bpf_get_current_task_btf(), pp, dentry, vfsmnt, 0, true);
}

/*
 * Writes the path walk_path() found at *cur, at most `room` bytes with the NUL, sets s and
 * advances *cur past the NUL. Returns FILE_F_* flags about the path.
 */
static __always_inline __u16 write_walked(struct path_parts *pp, struct ev_scratch *ev, __u32 *cur,
					  struct vstr *s, __u32 room)
{
	__u32 start = *cur, rel, depth, done;
	__u16 flags = 0;

	s->off = 0;
	s->len = 0;
	if (start >= EV_APPEND_LIMIT) {
		count_drop(DROP_FIELD_SKIPPED);
		return FILE_F_PATH_ERROR;
	}
	depth = pp->walk.depth;
	done = pp->walk.done;
	if (done == 2) {
		count_drop(DROP_PATH_ERROR);
		return FILE_F_PATH_ERROR;
	}
	if (done == 0)
		flags |= FILE_F_PATH_TRUNCATED;

	pp->write.left = depth;
	pp->write.start = start;
	pp->write.rel = 0;
	pp->write.limit = room < VIGIL_PATH_MAX ? room : VIGIL_PATH_MAX;
	pp->write.truncated = 0;
	if (depth == 0) {
		ev->data[BOUNDED(start, EV_MASK)] = '/';
		pp->write.rel = 1;
	} else {
		bpf_loop(PATH_DEPTH_MAX, write_step, NULL, 0);
		if (pp->write.truncated)
			flags |= FILE_F_PATH_TRUNCATED;
	}
	if (flags & FILE_F_PATH_TRUNCATED)
		count_drop(DROP_PATH_TRUNCATED);
	rel = pp->write.rel;
	ev->data[BOUNDED(start, EV_MASK) + BOUNDED(rel, VIGIL_PATH_MAX - 1)] = 0;
	s->off = start;
	s->len = rel;
	*cur = start + rel + 1;
	return flags;
}

/*
 * Writes the absolute path of (dentry, vfsmnt) at *cur, at most `room` bytes with the NUL,
 * sets s and advances *cur past the NUL. Returns FILE_F_* flags about the path.
 */
static __always_inline __u16 write_path(struct ev_scratch *ev, __u32 *cur, struct vstr *s,
					struct dentry *dentry, struct vfsmount *vfsmnt, __u32 room)
{
	struct path_parts *pp = parts();

	s->off = 0;
	s->len = 0;
	if (!pp)
		return FILE_F_PATH_ERROR;
	if (*cur >= EV_APPEND_LIMIT) {
		count_drop(DROP_FIELD_SKIPPED);
		return FILE_F_PATH_ERROR;
	}
	if (!dentry || !vfsmnt) {
		count_drop(DROP_PATH_ERROR);
		return FILE_F_PATH_ERROR;
	}
	walk_path(pp, dentry, vfsmnt);
	return write_walked(pp, ev, cur, s, room);
}

/*
 * Inode facts of a dentry into fi (ino, times, mode, owner, device, mount id): plain loads
 * through KVIEW, where a BPF_CORE_READ per field (a helper call each) cost every reported
 * file event ~300 ns.
 */
static __always_inline void fill_inode(struct file_info *fi, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct inode *inode;
	struct super_block *sb;

	if (!dentry)
		return;
	inode = KVIEW(struct dentry, dentry)->d_inode;
	if (!inode)
		return;
	fi->ino = inode->i_ino;
	fi->mode = inode->i_mode;
	fi->uid = inode->i_uid.val;
	fi->gid = inode->i_gid.val;
	fi->nlink = inode->__i_nlink;
	fi->ctime_ns = inode->i_ctime_sec * 1000000000ULL + inode->i_ctime_nsec;
	fi->mtime_ns = inode->i_mtime_sec * 1000000000ULL + inode->i_mtime_nsec;
	sb = inode->i_sb;
	if (sb) {
		fi->dev = sb->s_dev;
		fi->fs_magic = sb->s_magic;
	}
	if (vfsmnt)
		fi->mount_id = BPF_CORE_READ(real_mount(vfsmnt), mnt_id);
	fi->flags |= FILE_F_HAS_INODE;
}

static __always_inline void clear_file_info(struct file_info *fi)
{
	__builtin_memset(fi, 0, sizeof(*fi));
}

/*
 * The struct file behind fd in the current task, or NULL: a read-only view (read its
 * fields through KVIEW or BPF_CORE_READ, compare it, ADDR it for arithmetic). The task
 * pointer is typed (BTF): its fields are plain loads. The fd array is not (the verifier
 * types no pointer to pointers), so its slot is read as the first member of struct kiocb,
 * a struct file *: a plain load again, where a helper call would cost more than the rest
 * of a refused open. The result stays typed: the loads from the task to the file, its
 * dentry and up to the root are the critical path of a refused open, and turning each
 * pointer into a number (ADDR: a store and a load) would lengthen it.
 */
static __always_inline struct file *task_fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (bpf_core_field_offset(struct kiocb, ki_filp) == 0)
		return KVIEW(struct kiocb, &fds[fd])->ki_filp;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline struct file *fd_file(long fd)
{
	return task_fd_file(bpf_get_current_task_btf(), fd);
}

/* The (dentry, vfsmount) of an open file, views as task_fd_file's; false (and NULLs) if unreadable. */
static __always_inline bool file_path_of(struct file *f, struct dentry **dentry, struct vfsmount **vfsmnt)
{
	struct file *fv;

	*dentry = NULL;
	*vfsmnt = NULL;
	if (!f)
		return false;
	fv = KVIEW(struct file, f);
	*dentry = fv->f_path.dentry;
	*vfsmnt = fv->f_path.mnt;
	return *dentry && *vfsmnt;
}

/* fi := the file behind an open struct file: exact path and inode. */
static __always_inline void file_info_from_file(struct ev_scratch *ev, __u32 *cur, struct file_info *fi,
						struct file *f)
{
	struct dentry *dentry;
	struct vfsmount *vfsmnt;

	/* unreadable: NULLs, which write_path reports as a path error */
	file_path_of(f, &dentry, &vfsmnt);
	fill_inode(fi, dentry, vfsmnt);
	fi->flags |= write_path(ev, cur, &fi->path, dentry, vfsmnt, VIGIL_PATH_MAX);
}

/*
 * fi := dirfd (or the cwd) joined with the syscall's path string, lexically: used where
 * the file is gone or unknown when the syscall returns (unlink, rename, failed open...).
 * The base directory is resolved exactly; "." and ".." in the string are left to user
 * space. An empty string (AT_EMPTY_PATH) names dirfd itself.
 */
static __always_inline void file_info_lexical(struct ev_scratch *ev, __u32 *cur, struct file_info *fi,
					      long dirfd, const char *upath)
{
	struct task_struct *task = current_task();
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	__u32 start = *cur, base_end;
	char first = 0;
	long n;

	bpf_probe_read_user(&first, 1, upath);
	if (first == '/') {
		fi->flags |= FILE_F_PATH_LEXICAL;
		if (!append_str(ev, cur, &fi->path, upath, true))
			fi->flags |= FILE_F_PATH_ERROR;
		return;
	}
	if (dirfd == AT_FDCWD) {
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		vfsmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = fd_file(dirfd);

		if (!f) {
			count_drop(DROP_NO_TASK_FILE);
			fi->flags |= FILE_F_PATH_ERROR;
			return;
		}
		file_path_of(f, &dentry, &vfsmnt);
	}
	if (first == 0) {
		fill_inode(fi, dentry, vfsmnt);
		fi->flags |= write_path(ev, cur, &fi->path, dentry, vfsmnt, VIGIL_PATH_MAX);
		return;
	}
	fi->flags |= FILE_F_PATH_LEXICAL;
	fi->flags |= write_path(ev, cur, &fi->path, dentry, vfsmnt, VIGIL_PATH_MAX / 2);
	if (fi->flags & FILE_F_PATH_ERROR)
		return;
	/* *cur is past the base's NUL: overwrite the NUL with '/' (unless the base is "/") */
	base_end = *cur - 1;
	if (base_end + 1 >= EV_APPEND_LIMIT) {
		fi->flags |= FILE_F_PATH_TRUNCATED;
		count_drop(DROP_PATH_TRUNCATED);
		return;
	}
	if (fi->path.len > 1) {
		ev->data[BOUNDED(base_end, EV_MASK)] = '/';
		base_end += 1;
	}
	n = bpf_probe_read_user_str(&ev->data[BOUNDED(base_end, EV_MASK)], VIGIL_PATH_MAX / 2, upath);
	if (n <= 0) {
		fi->flags |= FILE_F_PATH_ERROR;
		count_drop(DROP_PATH_ERROR);
		return;
	}
	if (n == VIGIL_PATH_MAX / 2) {
		fi->flags |= FILE_F_PATH_TRUNCATED;
		count_drop(DROP_PATH_TRUNCATED);
	}
	fi->path.off = start;
	fi->path.len = base_end + n - 1 - start;
	*cur = base_end + n;
}

#endif /* VIGIL_PATH_H */
