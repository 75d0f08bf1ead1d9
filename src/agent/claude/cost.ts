/**
 * Token usage and an estimated USD cost per reasoning run. Prices are list prices per million
 * tokens as published by Anthropic when this table was written: estimates for dashboards and the
 * audit trail, never an invoice (batch, priority tier and long-context surcharges are ignored).
 */

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface Prices {
  input: number;
  output: number;
  /** 5-minute ephemeral cache writes (1.25 × input). */
  cacheWrite: number;
  /** Cache hits (0.1 × input). */
  cacheRead: number;
}

/** Checked in order: the first prefix the model id starts with wins. */
export const PRICE_TABLE: readonly { prefix: string; prices: Prices }[] = [
  { prefix: 'claude-opus-4-5', prices: { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 } },
  { prefix: 'claude-opus-4-6', prices: { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 } },
  { prefix: 'claude-opus-4-7', prices: { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 } },
  { prefix: 'claude-opus-4', prices: { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 } },
  { prefix: 'claude-sonnet-4', prices: { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 } },
  { prefix: 'claude-haiku-4', prices: { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 } },
  { prefix: 'claude-3-5-haiku', prices: { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 } },
];

/** Unknown models are priced as Sonnet and say so in `priced_as`. */
const DEFAULT_PRICES: Prices = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };

export function pricesFor(model: string): { prices: Prices; pricedAs: string } {
  const hit = PRICE_TABLE.find((p) => model.startsWith(p.prefix));
  return hit ? { prices: hit.prices, pricedAs: hit.prefix } : { prices: DEFAULT_PRICES, pricedAs: 'default (sonnet list price)' };
}

export const emptyUsage = (): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
});

/** Adds one response's usage (the API sends null for cache fields it did not use). */
export function addUsage(
  total: TokenUsage,
  u: { input_tokens?: number | null; output_tokens?: number | null; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null },
): TokenUsage {
  return {
    input_tokens: total.input_tokens + (u.input_tokens ?? 0),
    output_tokens: total.output_tokens + (u.output_tokens ?? 0),
    cache_read_input_tokens: total.cache_read_input_tokens + (u.cache_read_input_tokens ?? 0),
    cache_creation_input_tokens: total.cache_creation_input_tokens + (u.cache_creation_input_tokens ?? 0),
  };
}

export function totalTokens(u: TokenUsage): number {
  return u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
}

export function estimateCostUsd(model: string, u: TokenUsage): number {
  const { prices } = pricesFor(model);
  const usd =
    (u.input_tokens * prices.input +
      u.output_tokens * prices.output +
      u.cache_creation_input_tokens * prices.cacheWrite +
      u.cache_read_input_tokens * prices.cacheRead) /
    1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}
