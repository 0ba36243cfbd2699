// JSON lines for `vigil-sensor events`: the SECL event, with ancestors shortened (each
// one already printed in full when it ran) and the environment left out unless asked.
import type { ProcessContext } from '@vigil/operator/secl';
import type { SensorEvent } from '../pipeline/events.ts';

export interface FormatOptions {
  readonly env: boolean;
}

function ancestor(p: ProcessContext): Record<string, unknown> {
  return { pid: p.pid, ppid: p.ppid, comm: p.comm, path: p.file.path, argv0: p.argv0, argv: p.argv, uid: p.uid, user: p.user };
}

export function formatEvent(ev: SensorEvent, opts: FormatOptions): Record<string, unknown> {
  const { ancestors, envp, ...process } = ev.process;
  const out: Record<string, unknown> = {
    ...ev,
    process: { ...process, ...(opts.env ? { envp } : {}), ancestors: ancestors.map(ancestor) },
  };
  // the container is printed once, inside process
  delete out.container;
  return out;
}
