// What tests use: the shared control plane of this test run (started by with-cluster.ts,
// found through VIGIL_KUBECONFIG), or a private one when a test file runs on its own.
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ControlPlane, kubectl } from './control-plane.ts';

export { ControlPlane, kubectl, helm, runTool, waitFor, freePort } from './control-plane.ts';
export { haveBinaries, binaryPath } from './binaries.ts';
export { tokenKubeconfig } from './pki.ts';

export interface TestCluster {
  readonly kubeconfig: string;
  /** Set when this process owns the control plane (a test file run on its own). */
  readonly controlPlane?: ControlPlane;
  /** Creates a fresh namespace for one test; it is deleted when the test file ends. */
  namespace(prefix?: string): string;
}

let shared: Promise<TestCluster> | undefined;

/**
 * Call at the top level of a test file (`const c = await useCluster()`): the cleanup hook it
 * registers then belongs to the file, not to whichever test happened to call it first.
 */
export function useCluster(): Promise<TestCluster> {
  shared ??= open();
  return shared;
}

async function open(): Promise<TestCluster> {
  const created: string[] = [];
  let kubeconfig = process.env.VIGIL_KUBECONFIG;
  let controlPlane: ControlPlane | undefined;
  if (!kubeconfig) {
    controlPlane = await ControlPlane.start({ controllerManager: true });
    kubeconfig = controlPlane.kubeconfigPath;
  }
  const kc = kubeconfig;
  after(async () => {
    if (created.length) {
      try { kubectl(kc, ['delete', 'namespace', '--wait=false', '--ignore-not-found', ...created]); } catch { /* best effort */ }
    }
    await controlPlane?.stop();
  });
  return {
    kubeconfig: kc,
    controlPlane,
    namespace(prefix = 'test') {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase();
      kubectl(kc, ['create', 'namespace', name]);
      // Pods need the namespace's default ServiceAccount, which the controller-manager
      // creates a moment later; creating it here removes the race (AlreadyExists is fine).
      try {
        kubectl(kc, ['create', 'serviceaccount', 'default', '-n', name]);
      } catch (err) {
        if (!/already exists|AlreadyExists/i.test(String(err))) throw err;
      }
      created.push(name);
      return name;
    },
  };
}
