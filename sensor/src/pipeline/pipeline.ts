// The sensor pipeline of DESIGN.md §1 as far as this host goes: kernel batches ->
// decode -> enrich -> consumers (the events printer now; evaluate, act and report plug
// in the same way). One call per ring-buffer batch, never per event. Each stage counts
// what it drops; a consumer that throws is counted, not allowed to stop the flow.
import type { ProcessCache } from '../process/cache.ts';
import { Decoder, type DecodeStats, type DecodedEvent } from '../wire/decode.ts';
import type { Enricher, EnrichStats } from './enrich.ts';
import type { SensorEvent } from './events.ts';

export type Consumer = (events: readonly SensorEvent[]) => void;
/** Sees the decoded records of each batch before enrichment (tests, debugging). */
export type DecodedTap = (records: readonly DecodedEvent[]) => void;

export interface PipelineStats {
  batches: number;
  decode: DecodeStats;
  enrich: EnrichStats;
  consumerErrors: number;
}

export class Pipeline {
  readonly decoder = new Decoder();
  private readonly decoded: DecodedEvent[] = [];
  private readonly enriched: SensorEvent[] = [];
  private batches = 0;
  private consumerErrors = 0;
  lastConsumerError: unknown;

  constructor(
    private readonly enricher: Enricher,
    private readonly cache: ProcessCache,
    private readonly consumers: readonly Consumer[],
    private readonly tap?: DecodedTap,
  ) {}

  /** The addon's batch callback: buf is only valid during the call. */
  readonly onBatch = (buf: Buffer, bytes: number): void => {
    this.batches++;
    const decoded = this.decoded;
    const enriched = this.enriched;
    decoded.length = 0;
    enriched.length = 0;
    this.decoder.batch(buf, bytes, decoded);
    this.tap?.(decoded);
    for (const d of decoded) {
      const e = this.enricher.enrich(d);
      if (e) enriched.push(e);
    }
    this.cache.expire();
    for (const c of this.consumers) {
      try {
        c(enriched);
      } catch (e) {
        this.consumerErrors++;
        this.lastConsumerError = e;
      }
    }
  };

  stats(): PipelineStats {
    return {
      batches: this.batches,
      decode: { ...this.decoder.stats },
      enrich: { ...this.enricher.stats },
      consumerErrors: this.consumerErrors,
    };
  }
}
