/** The stored event as the renderers see it. */
export interface StoredEvent {
  id: string;
  type: string;
  gatewayId: string;
  /** Type-specific fields, as stored (JSON text). */
  dataJson: string;
  occurredAt: number | null;
  createdAt: number;
}

/** What differs per delivery of one event. */
export interface RenderContext {
  sequence: number;
  /** The receiving company's languages, preferred first: picks fault descriptions. */
  languages: readonly string[];
}

/**
 * Major 1: the flat shape partners of the manufacturer parse today: `eventType`, `gatewayId`,
 * `timestamp` and the type's fields at the top level.
 */
export function renderV1(event: StoredEvent, ctx: RenderContext): string {
  const data = localise(JSON.parse(event.dataJson), ctx.languages);
  return JSON.stringify({
    eventType: event.type,
    gatewayId: event.gatewayId,
    timestamp: new Date(event.createdAt).toISOString(),
    ...data,
  });
}

/**
 * Major 2: an envelope a receiver can de-duplicate (`id`), order and check for gaps
 * (`sequence`, per webhook and gateway) from the body alone.
 */
export function renderV2(event: StoredEvent, ctx: RenderContext): string {
  const data = localise(JSON.parse(event.dataJson), ctx.languages);
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: new Date(event.createdAt).toISOString(),
    occurredAt: event.occurredAt === null ? null : new Date(event.occurredAt).toISOString(),
    gatewayId: event.gatewayId,
    sequence: ctx.sequence,
    data,
  });
}

export const RENDERERS: Record<number, (event: StoredEvent, ctx: RenderContext) => string> = {
  1: renderV1,
  2: renderV2,
};

/**
 * Fault descriptions are stored in every catalog language; a company gets its own languages
 * (English when the catalog has none of them).
 */
function localise(data: Record<string, unknown>, languages: readonly string[]): Record<string, unknown> {
  const all = data.descriptions as Record<string, string> | undefined;
  if (!all || typeof all !== 'object') return data;
  return { ...data, descriptions: pickLanguages(all, languages) };
}

/** Texts in the given languages, preferred first; English when none of them is there. */
export function pickLanguages(all: Record<string, string>, languages: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const lang of languages) if (all[lang]) picked[lang] = all[lang];
  if (Object.keys(picked).length === 0 && all.en) picked.en = all.en;
  return picked;
}
