// A real OTLP/HTTP collector for tests: a node http server on 127.0.0.1:0 taking POST /v1/traces in the JSON
// encoding (what @opentelemetry/exporter-trace-otlp-http sends), keeping every span it received.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** Attributes as plain values. */
  readonly attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  /** The resource's service.name. */
  readonly service: string | undefined;
}

export interface OtlpCollector {
  /** The traces endpoint, for `tracing.otlp.url`. */
  readonly url: string;
  readonly spans: CollectedSpan[];
  /** Every export request's headers (to check `otlp.headers`). */
  readonly requests: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

interface JsonAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
}

const plain = (attributes: JsonAttribute[] | undefined): Record<string, string | number | boolean> =>
  Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue ?? ''))]));

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const requests: Record<string, string | string[] | undefined>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      requests.push(req.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: { resource?: { attributes?: JsonAttribute[] }; scopeSpans?: { spans?: (Omit<CollectedSpan, 'attributes' | 'status' | 'service' | 'parentSpanId'> & { parentSpanId?: string; attributes?: JsonAttribute[]; status?: { code?: number; message?: string } })[] }[] }[];
      };
      for (const resource of body.resourceSpans ?? []) {
        const service = plain(resource.resource?.attributes)['service.name'];
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              ...span,
              parentSpanId: span.parentSpanId ?? '',
              attributes: plain(span.attributes),
              status: { code: span.status?.code ?? 0, message: span.status?.message },
              service: typeof service === 'string' ? service : undefined,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
