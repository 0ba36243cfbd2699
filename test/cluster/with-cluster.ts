// Runs a command with one local control plane for the whole test run:
//   tsx test/cluster/with-cluster.ts -- node --test ...
// The command sees VIGIL_KUBECONFIG; the control plane is torn down when it ends, on
// Ctrl-C, and (through pdeathsig) even if this process is killed.
import { spawn } from 'node:child_process';
import { ControlPlane } from './control-plane.ts';

const sep = process.argv.indexOf('--');
const cmd = sep >= 0 ? process.argv.slice(sep + 1) : [];
if (cmd.length === 0) {
  process.stderr.write('usage: with-cluster.ts -- COMMAND [ARGS...]\n');
  process.exit(2);
}
const started = Date.now();
const cp = await ControlPlane.start({ controllerManager: true, verbose: process.env.V === '1' });
process.stderr.write(`control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cp.server}\n`);
const child = spawn(cmd[0] as string, cmd.slice(1), {
  stdio: 'inherit',
  env: { ...process.env, VIGIL_KUBECONFIG: cp.kubeconfigPath, VIGIL_CP_DIR: cp.dir },
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 : 1))));
await cp.stop();
process.exit(code);
