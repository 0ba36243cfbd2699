// A small Prometheus registry: counters and gauges with labels, rendered in the text
// exposition format. Enough for an operator; no dependency.
type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${keys.map((k) => `${k}="${esc(labels[k] as string)}"`).join(',')}}`;
}

abstract class Metric {
  protected readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge') {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }

  value(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

export class Counter extends Metric {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
}

export class Gauge extends Metric {
  constructor(name: string, help: string, private readonly collect?: () => void) {
    super(name, help, 'gauge');
  }

  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }

  override render(): string {
    this.collect?.();
    return super.render();
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string, collect?: (g: Gauge) => void): Gauge {
    const g: Gauge = new Gauge(name, help, collect && (() => collect(g)));
    return this.add(g);
  }

  private add<M extends Metric>(m: M): M {
    const existing = this.metrics.get(m.name);
    if (existing) return existing as M;
    this.metrics.set(m.name, m);
    return m;
  }

  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}

/** Process metrics every exporter has. */
export function processMetrics(reg: Registry): void {
  reg.gauge('process_resident_memory_bytes', 'Resident set size in bytes.', (g) => g.set(process.memoryUsage.rss()));
  reg.gauge('nodejs_heap_used_bytes', 'V8 heap in use.', (g) => g.set(process.memoryUsage().heapUsed));
  const started = Date.now() / 1000;
  reg.gauge('process_start_time_seconds', 'Start time since the epoch.', (g) => g.set(Math.floor(started)));
}
