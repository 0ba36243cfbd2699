/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filter.h: the in-kernel filters user space fills (bpf/README.md has the map layouts).
 *
 * Order, cheapest first, and nothing copied into the ring buffer before a verdict:
 *   1. filters[type].mode: DROP returns at once; PASS sends everything;
 *   2. discarders[tgid] & (1 << type): this process's events of this type are not wanted;
 *   3. APPROVE: flags mask, executable basename, file basename (from the dentry when the
 *      syscall returned an fd), and only then the path prefix, which needs the full path.
 * Whenever the kernel cannot tell (a read failed, a path was truncated), the event is
 * approved: the filter may pass a superset of what the rules match, never a subset.
 */
#ifndef VIGIL_FILTER_H
#define VIGIL_FILTER_H

#include "path.h"

struct filter_state {
	__u32 type;
	__u32 mode;
	__u32 approvers;
	__u32 flags_mask;
	__u32 need_flags;
	__u32 flags; /* open and truncate: the event's open flags, which approvers may need; else 0 */
};

/* Every program starts here: false means stop now (counted). */
static __always_inline bool filter_enter(__u32 type, struct filter_state *fs)
{
	struct type_filter *tf = bpf_map_lookup_elem(&filters, &type);
	struct type_stats *st = stats_of(type);

	if (st)
		st->seen += 1;
	fs->type = type;
	fs->mode = FILTER_PASS;
	fs->approvers = 0;
	fs->flags_mask = 0;
	fs->need_flags = 0;
	fs->flags = 0;
	if (!tf)
		return true;
	fs->mode = tf->mode;
	fs->approvers = tf->approvers;
	fs->flags_mask = tf->flags_mask;
	fs->need_flags = tf->need_flags;
	if (fs->mode == FILTER_DROP) {
		if (st)
			st->filtered += 1;
		return false;
	}
	if (fs->approvers & USE_DISCARDERS) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		__u64 *mask = bpf_map_lookup_elem(&discarders, &tgid);

		if (mask && (*mask & (1ULL << (type & 63)))) {
			if (st)
				st->discarded += 1;
			return false;
		}
	}
	return true;
}

static __always_inline void count_filtered(__u32 type)
{
	struct type_stats *st = stats_of(type);

	if (st)
		st->filtered += 1;
}

/* Does an approver found in a map (or NULL) approve this event? (events.h: struct approver) */
static __always_inline bool approver_holds(struct filter_state *fs, const struct approver *a)
{
	return a && (!a->open_flags || (fs->flags & a->open_flags));
}

/* Is the NUL-terminated kernel string `name` an approver of this event, of this kind? */
static __always_inline bool approve_name_at(struct filter_state *fs, __u32 kind, const void *name)
{
	struct name_key key = {};

	key.type = fs->type;
	key.kind = kind;
	if (bpf_probe_read_kernel_str(key.name, sizeof(key.name), name) <= 0)
		return true; /* unreadable: cannot rule it out */
	return approver_holds(fs, bpf_map_lookup_elem(&approve_names, &key));
}

static __always_inline bool approve_dentry_name(struct filter_state *fs, struct dentry *dentry)
{
	return approve_name_at(fs, NAME_KIND_FILE, KVIEW(struct dentry, dentry)->d_name.name);
}

/* Approvers that need no path: open flags and the executable's basename. */
static __always_inline bool approve_cheap(struct filter_state *fs)
{
	if ((fs->approvers & APPROVE_FLAGS) && (fs->flags & fs->flags_mask))
		return true;
	if (fs->approvers & APPROVE_EXE) {
		/* typed (BTF) all the way: plain loads, fault-safe where mm is NULL */
		const unsigned char *exe = bpf_get_current_task_btf()->mm->exe_file->f_path.dentry->d_name.name;

		if (!exe || approve_name_at(fs, NAME_KIND_EXE, exe))
			return true;
	}
	return false;
}

static long scan_step(__u32 i, void *arg)
{
	struct path_parts *pp = parts();
	struct ev_scratch *ev;
	__u32 zero = 0, pos;

	ev = bpf_map_lookup_elem(&ev_buf, &zero);
	if (!pp || !ev)
		return 1;
	pos = pp->scan.pos;
	if (pos <= pp->scan.stop)
		return 1;
	if (ev->data[BOUNDED(pos - 1, EV_BUF_SIZE - 1)] == '/')
		return 1;
	pp->scan.pos = pos - 1;
	return 0;
}

/* Approvers on a path already written into the record: its basename, then its prefix. */
static __always_inline bool approve_built_path(struct filter_state *fs, struct ev_scratch *ev,
					       struct file_info *fi)
{
	struct path_parts *pp = parts();

	if (!pp || (fi->flags & (FILE_F_PATH_TRUNCATED | FILE_F_PATH_ERROR)))
		return true;
	if (fs->approvers & APPROVE_NAME) {
		pp->scan.pos = fi->path.off + fi->path.len;
		pp->scan.stop = fi->path.off;
		bpf_loop(NAME_MAX + 1, scan_step, NULL, 0);
		if (approve_name_at(fs, NAME_KIND_FILE, &ev->data[BOUNDED(pp->scan.pos, EV_BUF_SIZE - 1)]))
			return true;
	}
	if (fs->approvers & APPROVE_PREFIX) {
		__u32 len = fi->path.len;

		if (len > VIGIL_APPROVER_PREFIX_MAX)
			len = VIGIL_APPROVER_PREFIX_MAX;
		pp->pkey.prefixlen = 32 + len * 8;
		pp->pkey.type = fs->type;
		bpf_probe_read_kernel(pp->pkey.path, sizeof(pp->pkey.path), &ev->data[BOUNDED(fi->path.off, EV_MASK)]);
		if (approver_holds(fs, bpf_map_lookup_elem(&approve_prefix, &pp->pkey)))
			return true;
	}
	return false;
}

/*
 * Remembered refusals (maps.h: prefix_cache), for files opened again and again. The key
 * is the signature of the dentry walk (path.h) seeded with the filter generation, the
 * type and the open flags some approver needs (fs->flags & fs->need_flags): a hit means
 * the same dentries with the same names, parents and d_seq, under the same mounts and
 * root, so the same path and basename, refused by the same prefix and name approvers for
 * the same flags (user space bumps filter_gen whenever it adds a prefix or a name, or
 * changes the flags one needs; removing one only refuses more). Where a type has name approvers only, the key is
 * the opened dentry's own signature (path.h: leaf_sig): its name is all that decides.
 * Only the verdicts of the path are remembered: flags and executable are checked on every
 * event before.
 */
static __always_inline __u64 prefix_cache_seed(struct filter_state *fs, bool *ok)
{
	__u32 zero = 0;
	__u64 *gen = bpf_map_lookup_elem(&filter_gen, &zero);

	*ok = gen != NULL;
	return gen ? sig_mix(*gen, fs->type | (__u64)(fs->flags & fs->need_flags) << 32) : 0;
}

static __always_inline __u64 *prefix_cache_slot(__u64 sig)
{
	__u32 zero = 0;
	struct prefix_cache *c = bpf_map_lookup_elem(&prefix_cache, &zero);

	if (!c)
		return NULL;
	return &c->sig[BOUNDED(sig, PREFIX_CACHE_SLOTS - 1)];
}

/* Was the path with signature sig refused before (counted)? *slot: where to remember it. */
static __always_inline bool refused_before(__u32 type, __u64 sig, __u64 **slot)
{
	*slot = prefix_cache_slot(sig);
	if (*slot && **slot == sig) {
		count_filtered(type);
		return true;
	}
	return false;
}

#endif /* VIGIL_FILTER_H */
