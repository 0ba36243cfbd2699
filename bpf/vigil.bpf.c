// SPDX-License-Identifier: GPL-2.0
/*
 * The one object the sensor loads: every family in one translation unit. Families stay in
 * their own files; they are included here rather than linked with `bpftool gen object`
 * because libbpf 1.1's linker (Debian bookworm) refuses a kfunc extern (KVIEW in vigil.h)
 * declared by more than one object.
 */
#include "process.bpf.c"
#include "file.bpf.c"
#include "dns.bpf.c"
#include "kernel.bpf.c"
