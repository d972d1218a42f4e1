import type { FastifyInstance } from 'fastify';
// @ts-expect-error: the package ships no type declarations (its output is typed below).
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

/** A parsed `/metrics` answer: look a sample up by name and (a subset of) its labels. */
export class Scrape {
  readonly families: Map<string, Family>;

  constructor(text: string) {
    this.families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  }

  family(name: string): Family {
    const family = this.families.get(name);
    if (!family) throw new Error(`no metric ${name} in the scrape`);
    return family;
  }

  /** The value of the one sample whose labels include `labels`; 0 when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const samples = this.family(name).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    if (samples.length > 1) throw new Error(`${samples.length} samples of ${name} match ${JSON.stringify(labels)}`);
    return samples.length === 0 ? 0 : Number(samples[0].value ?? samples[0].count);
  }
}

/** GETs `/metrics` in-process and parses it with a Prometheus text-format parser. */
export async function scrape(app: FastifyInstance, headers: Record<string, string>): Promise<Scrape> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers });
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}: ${res.body}`);
  return new Scrape(res.body);
}
