/** The rule set: data, not code (placeholder until the rules module lands). */
export type Rules = Record<string, unknown>;

export function loadRules(_file?: string): Rules {
  return {};
}
