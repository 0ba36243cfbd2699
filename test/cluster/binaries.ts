// Where the pinned control-plane binaries live: built by build-binaries.sh (`make deps`)
// into a cache outside the repo, keyed by version (test/cluster/versions.env).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function cacheDir(): string {
  return process.env.VIGIL_CACHE ?? join(homedir(), '.cache', 'vigil');
}

/** Running control planes keep their state (PKI, etcd data, logs) here. */
export function stateRoot(): string {
  return join(cacheDir(), 'run');
}

export function pinnedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(here, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

const versionKey: Record<string, string> = {
  etcd: 'ETCD_VERSION', helm: 'HELM_VERSION', kubectl: 'KUBE_VERSION',
  'kube-apiserver': 'KUBE_VERSION', 'kube-controller-manager': 'KUBE_VERSION', 'kube-scheduler': 'KUBE_VERSION',
};

export function binaryPath(tool: string): string {
  const key = versionKey[tool];
  if (!key) throw new Error(`unknown control-plane tool ${tool}`);
  const version = pinnedVersions()[key];
  const path = join(cacheDir(), 'bin', `${tool}-${version}`);
  if (!existsSync(path)) throw new Error(`${tool} ${version} is not built (${path}): run \`make deps\``);
  return path;
}

export function haveBinaries(): boolean {
  try {
    for (const t of Object.keys(versionKey)) binaryPath(t);
    return true;
  } catch {
    return false;
  }
}
