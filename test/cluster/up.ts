// `make up`: the local control plane in the foreground until Ctrl-C, then a clean teardown.
// Later stages (chart, operator, sensor) hook in through up-stages.ts.
import { mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from './control-plane.ts';
import { cacheDir } from './binaries.ts';
import { runStages } from './up-stages.ts';

const cp = await ControlPlane.start({ controllerManager: true, scheduler: true, verbose: process.env.V === '1' });
// A stable path for users: the same file every `make up`.
const stable = join(cacheDir(), 'kubeconfig');
mkdirSync(cacheDir(), { recursive: true });
copyFileSync(cp.kubeconfigPath, stable);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stderr.write('\nvigil: stopping...\n');
  await stages.stop();
  await cp.stop();
  process.stderr.write('vigil: stopped, nothing left running\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
const stages = await runStages(cp, stable);
process.stdout.write(`
Vigil local control plane is up (${cp.server}).
  export KUBECONFIG=${stable} PATH=${join(cacheDir(), 'bin')}:$PATH   # the pinned kubectl and helm
  kubectl get ns
${stages.summary}
Press Ctrl-C to stop everything.
`);
