// vigil-sensor: the node daemon's command line. The only module that exits the process.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { EventsArgsSchema, runEvents } from './cli/events.ts';
import { RunArgsSchema, runSensor } from './cli/run.ts';
import { logger } from './log.ts';

const USAGE = `usage: vigil-sensor <command> [options]

commands:
  events [--family process,file,dns,network,kernel] [--type open,exec,dns,...] [--env] [--count N]
         print this host's raw activity as JSON lines (root)
  run [--rules PATH ...] [--standalone]
         detect (and protect) on this host: detections as JSON lines on stdout.
         Without --rules: Vigil's default rules. With NODE_NAME and VIGIL_NAMESPACE
         set (the DaemonSet), rules come from the cluster and detections become Signals.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = logger(command ?? 'main');
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'run') {
    const { values } = parseArgs({ args: rest, options: { rules: { type: 'string', multiple: true }, standalone: { type: 'boolean' } }, strict: true });
    const parsed = RunArgsSchema.safeParse(values);
    if (!parsed.success) {
      process.stderr.write(`vigil-sensor run: ${z.prettifyError(parsed.error)}\n`);
      return 2;
    }
    const ac = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
    return runSensor(parsed.data, { stdout: process.stdout, log, signal: ac.signal, env: process.env });
  }
  if (command !== 'events') {
    process.stderr.write(`vigil-sensor: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      family: { type: 'string' },
      type: { type: 'string' },
      env: { type: 'boolean' },
      count: { type: 'string' },
      'ring-bytes': { type: 'string' },
    },
    strict: true,
  });
  const parsed = EventsArgsSchema.safeParse({ ...values, ringBytes: values['ring-bytes'] });
  if (!parsed.success) {
    process.stderr.write(`vigil-sensor events: ${z.prettifyError(parsed.error)}\n`);
    return 2;
  }
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  return runEvents(parsed.data, { stdout: process.stdout, log, signal: ac.signal });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { message?: string; code?: string; log?: string };
    logger('main').error({ err, code: e.code, verifierLog: e.log?.slice(-4000) }, e.message ?? String(err));
    process.exit(1);
  },
);
