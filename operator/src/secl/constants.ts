// SECL constants, named as Datadog names them, valued as Linux (x86_64) defines them.
// Grouped so the field table can say which constants fit which field.

const octal = (s: string): number => parseInt(s, 8);

function prefixed(prefix: string, names: readonly string[], start = 0): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((n, i) => { if (n) out[prefix + n.toUpperCase()] = start + i; });
  return out;
}

export const OPEN_FLAGS: Record<string, number> = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: octal('100'), O_EXCL: octal('200'), O_NOCTTY: octal('400'),
  O_TRUNC: octal('1000'), O_APPEND: octal('2000'), O_NONBLOCK: octal('4000'), O_DSYNC: octal('10000'),
  O_SYNC: octal('4010000'), FASYNC: octal('20000'), O_DIRECT: octal('40000'), O_LARGEFILE: octal('100000'),
  O_DIRECTORY: octal('200000'), O_NOFOLLOW: octal('400000'), O_NOATIME: octal('1000000'),
  O_CLOEXEC: octal('2000000'), O_PATH: octal('10000000'), O_TMPFILE: octal('20200000'),
};

export const FILE_MODES: Record<string, number> = {
  S_IFMT: octal('170000'), S_IFSOCK: octal('140000'), S_IFLNK: octal('120000'), S_IFREG: octal('100000'),
  S_IFBLK: octal('60000'), S_IFDIR: octal('40000'), S_IFCHR: octal('20000'), S_IFIFO: octal('10000'),
  S_ISUID: octal('4000'), S_ISGID: octal('2000'), S_ISVTX: octal('1000'),
  S_IRWXU: octal('700'), S_IRUSR: octal('400'), S_IWUSR: octal('200'), S_IXUSR: octal('100'),
  S_IRWXG: octal('70'), S_IRGRP: octal('40'), S_IWGRP: octal('20'), S_IXGRP: octal('10'),
  S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1,
};

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16,
  SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24,
  SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

export const PTRACE_REQUESTS: Record<string, number> = {
  ...prefixed('PTRACE_', ['traceme', 'peektext', 'peekdata', 'peekusr', 'poketext', 'pokedata', 'pokeusr',
    'cont', 'kill', 'singlestep', '', '', 'getregs', 'setregs', 'getfpregs', 'setfpregs', 'attach', 'detach',
    'getfpxregs', 'setfpxregs']),
  PTRACE_SYSCALL: 24, PTRACE_ARCH_PRCTL: 30, PTRACE_SYSEMU: 31, PTRACE_SYSEMU_SINGLESTEP: 32, PTRACE_SINGLEBLOCK: 33,
  ...prefixed('PTRACE_', ['setoptions', 'geteventmsg', 'getsiginfo', 'setsiginfo', 'getregset', 'setregset',
    'seize', 'interrupt', 'listen', 'peeksiginfo', 'getsigmask', 'setsigmask', 'seccomp_get_filter',
    'seccomp_get_metadata', 'get_syscall_info'], 0x4200),
};

export const BPF_COMMANDS = prefixed('BPF_', ['map_create', 'map_lookup_elem', 'map_update_elem',
  'map_delete_elem', 'map_get_next_key', 'prog_load', 'obj_pin', 'obj_get', 'prog_attach', 'prog_detach',
  'prog_test_run', 'prog_get_next_id', 'map_get_next_id', 'prog_get_fd_by_id', 'map_get_fd_by_id',
  'obj_get_info_by_fd', 'prog_query', 'raw_tracepoint_open', 'btf_load', 'btf_get_fd_by_id',
  'task_fd_query', 'map_lookup_and_delete_elem', 'map_freeze', 'btf_get_next_id', 'map_lookup_batch',
  'map_lookup_and_delete_batch', 'map_update_batch', 'map_delete_batch', 'link_create', 'link_update',
  'link_get_fd_by_id', 'link_get_next_id', 'enable_stats', 'iter_create', 'link_detach', 'prog_bind_map',
  'token_create']);

export const BPF_MAP_TYPES = prefixed('BPF_MAP_TYPE_', ['unspec', 'hash', 'array', 'prog_array',
  'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace', 'cgroup_array', 'lru_hash',
  'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap', 'sockmap', 'cpumap', 'xskmap',
  'sockhash', 'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack',
  'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter',
  'user_ringbuf', 'cgrp_storage']);

export const BPF_PROG_TYPES = prefixed('BPF_PROG_TYPE_', ['unspec', 'socket_filter', 'kprobe', 'sched_cls',
  'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out',
  'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr',
  'lwt_seg6local', 'lirc_mode2', 'sk_reuseport', 'flow_dissector', 'cgroup_sysctl',
  'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall',
  'netfilter']);

/** eBPF helper ids (the kernel's __BPF_FUNC_MAPPER order), for bpf.prog.helpers. */
export const BPF_HELPERS = prefixed('BPF_', ['unspec', 'map_lookup_elem', 'map_update_elem',
  'map_delete_elem', 'probe_read', 'ktime_get_ns', 'trace_printk', 'get_prandom_u32', 'get_smp_processor_id',
  'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'tail_call', 'clone_redirect',
  'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_cgroup_classid', 'skb_vlan_push',
  'skb_vlan_pop', 'skb_get_tunnel_key', 'skb_set_tunnel_key', 'perf_event_read', 'redirect',
  'get_route_realm', 'perf_event_output', 'skb_load_bytes', 'get_stackid', 'csum_diff', 'skb_get_tunnel_opt',
  'skb_set_tunnel_opt', 'skb_change_proto', 'skb_change_type', 'skb_under_cgroup', 'get_hash_recalc',
  'get_current_task', 'probe_write_user', 'current_task_under_cgroup', 'skb_change_tail', 'skb_pull_data',
  'csum_update', 'set_hash_invalid', 'get_numa_node_id', 'skb_change_head', 'xdp_adjust_head',
  'probe_read_str', 'get_socket_cookie', 'get_socket_uid', 'set_hash', 'setsockopt', 'skb_adjust_room',
  'redirect_map', 'sk_redirect_map', 'sock_map_update', 'xdp_adjust_meta', 'perf_event_read_value',
  'perf_prog_read_value', 'getsockopt', 'override_return', 'sock_ops_cb_flags_set', 'msg_redirect_map',
  'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'bind', 'xdp_adjust_tail', 'skb_get_xfrm_state',
  'get_stack', 'skb_load_bytes_relative', 'fib_lookup', 'sock_hash_update', 'msg_redirect_hash',
  'sk_redirect_hash', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh', 'lwt_seg6_action',
  'rc_repeat', 'rc_keydown', 'skb_cgroup_id', 'get_current_cgroup_id', 'get_local_storage',
  'sk_select_reuseport', 'skb_ancestor_cgroup_id', 'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release',
  'map_push_elem', 'map_pop_elem', 'map_peek_elem', 'msg_push_data', 'msg_pop_data', 'rc_pointer_rel',
  'spin_lock', 'spin_unlock', 'sk_fullsock', 'tcp_sock', 'skb_ecn_set_ce', 'get_listener_sock',
  'skc_lookup_tcp', 'tcp_check_syncookie', 'sysctl_get_name', 'sysctl_get_current_value',
  'sysctl_get_new_value', 'sysctl_set_new_value', 'strtol', 'strtoul', 'sk_storage_get', 'sk_storage_delete',
  'send_signal', 'tcp_gen_syncookie', 'skb_output', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'tcp_send_ack', 'send_signal_thread', 'jiffies64',
  'read_branch_records', 'get_ns_current_pid_tgid', 'xdp_output', 'get_netns_cookie',
  'get_current_ancestor_cgroup_id', 'sk_assign', 'ktime_get_boot_ns', 'seq_printf', 'seq_write',
  'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit',
  'ringbuf_discard', 'ringbuf_query', 'csum_level', 'skc_to_tcp6_sock', 'skc_to_tcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack',
  'load_hdr_opt', 'store_hdr_opt', 'reserve_hdr_opt', 'inode_storage_get', 'inode_storage_delete', 'd_path',
  'copy_from_user', 'snprintf_btf', 'seq_printf_btf', 'skb_cgroup_classid', 'redirect_neigh', 'per_cpu_ptr',
  'this_cpu_ptr', 'redirect_peer', 'task_storage_get', 'task_storage_delete', 'get_current_task_btf',
  'bprm_opts_set', 'ktime_get_coarse_ns', 'ima_inode_hash', 'sock_from_file', 'check_mtu',
  'for_each_map_elem', 'snprintf', 'sys_bpf', 'btf_find_by_name_kind', 'sys_close', 'timer_init',
  'timer_set_callback', 'timer_start', 'timer_cancel', 'get_func_ip', 'get_attach_cookie', 'task_pt_regs',
  'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'kallsyms_lookup_name', 'find_vma', 'loop',
  'strncmp', 'get_func_arg', 'get_func_ret', 'get_func_arg_cnt', 'get_retval', 'set_retval',
  'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task', 'skb_set_tstamp',
  'ima_file_hash', 'kptr_xchg', 'map_lookup_percpu_elem']);

const CAPABILITY_NAMES = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid',
  'setuid', 'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw',
  'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin',
  'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write',
  'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend',
  'audit_read', 'perfmon', 'bpf', 'checkpoint_restore'];
/** Capabilities as bit masks (1 << n), for cap_effective / cap_permitted. */
export const CAPABILITIES: Record<string, number> = Object.fromEntries(
  CAPABILITY_NAMES.map((n, i) => [`CAP_${n.toUpperCase()}`, 2 ** i]),
);

export const ADDRESS_FAMILIES: Record<string, number> = {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_LOCAL: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17,
};
export const L4_PROTOCOLS: Record<string, number> = {
  IP_PROTO_IP: 0, IP_PROTO_ICMP: 1, IP_PROTO_IGMP: 2, IP_PROTO_TCP: 6, IP_PROTO_UDP: 17, IP_PROTO_IPV6: 41,
  IP_PROTO_GRE: 47, IP_PROTO_ICMPV6: 58, IP_PROTO_SCTP: 132, IP_PROTO_UDPLITE: 136, IP_PROTO_RAW: 255,
};
export const L3_PROTOCOLS: Record<string, number> = { ETH_P_IP: 0x0800, ETH_P_ARP: 0x0806, ETH_P_IPV6: 0x86dd };
export const MMAP_PROTECTIONS: Record<string, number> = {
  PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4, PROT_GROWSDOWN: 0x01000000, PROT_GROWSUP: 0x02000000,
};
export const MMAP_FLAGS: Record<string, number> = {
  MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_SHARED_VALIDATE: 3, MAP_FIXED: 0x10, MAP_ANONYMOUS: 0x20,
  MAP_GROWSDOWN: 0x100, MAP_DENYWRITE: 0x800, MAP_EXECUTABLE: 0x1000, MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000, MAP_POPULATE: 0x8000, MAP_NONBLOCK: 0x10000, MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000, MAP_SYNC: 0x80000, MAP_FIXED_NOREPLACE: 0x100000,
};
export const PRCTL_OPTIONS: Record<string, number> = {
  PR_SET_PDEATHSIG: 1, PR_GET_PDEATHSIG: 2, PR_GET_DUMPABLE: 3, PR_SET_DUMPABLE: 4, PR_GET_KEEPCAPS: 7,
  PR_SET_KEEPCAPS: 8, PR_SET_NAME: 15, PR_GET_NAME: 16, PR_GET_SECCOMP: 21, PR_SET_SECCOMP: 22,
  PR_CAPBSET_READ: 23, PR_CAPBSET_DROP: 24, PR_SET_MM: 35, PR_SET_CHILD_SUBREAPER: 36,
  PR_SET_NO_NEW_PRIVS: 38, PR_GET_NO_NEW_PRIVS: 39, PR_CAP_AMBIENT: 47,
};
export const EXIT_CAUSES: Record<string, number> = { EXITED: 0, COREDUMPED: 1, SIGNALED: 2 };
export const UNLINK_FLAGS: Record<string, number> = { AT_REMOVEDIR: 0x200 };
export const AUDIT: Record<string, number> = { AUDIT_AUID_UNSET: 4294967295 };
export const PIPE_BUF_FLAGS = Object.fromEntries(['lru', 'atomic', 'gift', 'packet', 'can_merge', 'whole', 'loss']
  .map((n, i) => [`PIPE_BUF_FLAG_${n.toUpperCase()}`, 2 ** i]));
export const SOCKET_OPTIONS: Record<string, number> = { SOL_SOCKET: 1, SO_ATTACH_FILTER: 26, SO_DETACH_FILTER: 27 };

export const DNS_QTYPES: Record<string, number> = {
  None: 0, A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, PTR: 12, HINFO: 13,
  MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21, NSAPPTR: 23, SIG: 24, KEY: 25,
  PX: 26, GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, EID: 31, NIMLOC: 32, SRV: 33, ATMA: 34, NAPTR: 35, KX: 36,
  CERT: 37, DNAME: 39, OPT: 41, APL: 42, DS: 43, SSHFP: 44, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49,
  NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59,
  CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99, UINFO: 100, UID: 101,
  GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107, EUI48: 108, EUI64: 109, TKEY: 249,
  TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, URI: 256, CAA: 257, AVC: 258,
  TA: 32768, DLV: 32769, Reserved: 65535,
};
export const DNS_QCLASSES: Record<string, number> = {
  CLASS_INET: 1, CLASS_CSNET: 2, CLASS_CHAOS: 3, CLASS_HESIOD: 4, CLASS_NONE: 254, CLASS_ANY: 255,
};

/** Constant groups, named for the field table. */
export const CONSTANT_GROUPS: Record<string, Record<string, number>> = {
  'open flags': OPEN_FLAGS,
  'file modes': FILE_MODES,
  signals: SIGNALS,
  'ptrace requests': PTRACE_REQUESTS,
  'BPF commands': BPF_COMMANDS,
  'BPF map types': BPF_MAP_TYPES,
  'BPF program types': BPF_PROG_TYPES,
  'BPF helpers': BPF_HELPERS,
  capabilities: CAPABILITIES,
  'address families': ADDRESS_FAMILIES,
  'L3 protocols': L3_PROTOCOLS,
  'L4 protocols': L4_PROTOCOLS,
  'mmap protections': MMAP_PROTECTIONS,
  'mmap flags': MMAP_FLAGS,
  'prctl options': PRCTL_OPTIONS,
  'exit causes': EXIT_CAUSES,
  'unlink flags': UNLINK_FLAGS,
  audit: AUDIT,
  'pipe buffer flags': PIPE_BUF_FLAGS,
  'socket options': SOCKET_OPTIONS,
  'DNS qtypes': DNS_QTYPES,
  'DNS qclasses': DNS_QCLASSES,
};

/** Every integer constant by name. */
export const INT_CONSTANTS: ReadonlyMap<string, number> = new Map(
  Object.values(CONSTANT_GROUPS).flatMap((g) => Object.entries(g)),
);

/** Boolean constants. */
export const BOOL_CONSTANTS: ReadonlyMap<string, boolean> = new Map([['true', true], ['false', false]]);
