// `tracing`: the OTLP endpoint must be an http(s) URL; header names must be tokens (they go on the wire as they are).
import type { Checker } from './checker.js';
import { isPlain, ms } from './checker.js';
import type { ConfigDocument } from './schema/gateway-config-schema.js';
import type { TracingConfig } from './tracing-types.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function checkTracing(c: Checker, t: NonNullable<ConfigDocument['tracing']>): TracingConfig | undefined {
  const otlp = t.otlp;
  // Without a valid `otlp` mapping the schema has said so already.
  if (!isPlain(otlp) || typeof otlp.url !== 'string') return undefined;
  const url = URL.parse(otlp.url);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return c.fail(['tracing', 'otlp', 'url'], 'expected an http:// or https:// URL', 'the collector\'s traces endpoint, e.g. http://127.0.0.1:4318/v1/traces');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(otlp.headers ?? {})) {
    if (!TOKEN.test(name)) return c.fail(['tracing', 'otlp', 'headers', name], 'not a valid header name');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return c.fail(['tracing', 'otlp', 'headers', name], 'a header value holds no control characters');
    headers[name.toLowerCase()] = value;
  }
  return {
    otlp: { url: url.href, headers, timeout: ms(otlp.timeout)! },
    sampling: t.sampling!,
    incomingSampled: t.incomingSampled!,
    serviceName: t.serviceName!,
  };
}
