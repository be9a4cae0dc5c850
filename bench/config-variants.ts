// Edits of the shipped gateway.config.yaml for the bench. Each fails loudly when the file no longer has the shape it
// edits, rather than silently benchmarking something else.

function edit(yaml: string, pattern: RegExp, replacement: string, what: string): string {
  const edited = yaml.replace(pattern, replacement);
  if (edited === yaml) throw new Error(`bench: gateway.config.yaml has changed shape, cannot ${what}; update bench/config-variants.ts`);
  return edited;
}

/**
 * Every request of the bench comes from 127.0.0.1 as one user, so the shipped budgets (ip: 100/s) would refuse
 * nearly all of it. Raised, all four dimensions are still checked and spent on every request: that is the cost
 * being measured.
 * @example raisedLimits('rateLimits:\n  ip: 100/s') // 'rateLimits:\n  ip: 1000000/s'
 */
export function raisedLimits(yaml: string): string {
  return edit(yaml, /^( +(?:global|route|ip|user): )\d+\/s$/gm, '$11000000/s', 'raise the rate limits');
}

/**
 * The verified-token cache off: every request verifies its token again, which shows what the cache saves.
 * @example withoutTokenCache('    secret: x') // '    secret: x\n    cacheSize: 0'
 */
export function withoutTokenCache(yaml: string): string {
  return edit(yaml, /^( +)(secret: .*)$/m, '$1$2\n$1cacheSize: 0', 'turn the token cache off');
}
