// `permgate coverage --admin URL [--since T] [--openapi SPEC [--prefix P]] [--json]`: a running gateway's route
// coverage (GET /admin/coverage) and, given an OpenAPI document, its operations with no route and routes with no
// operation. The admin token comes from PERMGATE_ADMIN_TOKEN, never from argv.
import { readFile } from 'node:fs/promises';
import type { CoverageReport } from '../coverage/route-coverage.js';
import { HTTP_METHODS, type HttpMethod } from '../config/types.js';
import { readApiDocument } from '../openapi/api-document.js';
import { operationCoverage, type OperationCoverage } from '../openapi/operation-coverage.js';

export interface CoverageOptions {
  readonly admin: string;
  readonly token: string;
  readonly since?: string | undefined;
  readonly openapi?: string | undefined;
  readonly prefix?: string | undefined;
}

export interface CoverageResult {
  readonly report: CoverageReport;
  readonly openapi?: OperationCoverage & { readonly document: string };
}

export class CoverageCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoverageCommandError';
  }
}

export async function readCoverage(options: CoverageOptions): Promise<CoverageResult> {
  const url = new URL('/admin/coverage', options.admin);
  if (options.since !== undefined) url.searchParams.set('since', options.since);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CoverageCommandError(`${url.origin}: not reachable (${(err as Error).message})`);
  }
  const body = (await response.json().catch(() => undefined)) as (CoverageReport & { error?: { code?: string; detail?: string } }) | undefined;
  if (!response.ok || body === undefined) {
    const error = body?.error;
    throw new CoverageCommandError(`GET /admin/coverage answered ${response.status}${error?.code ? ` ${error.code}` : ''}${error?.detail ? `: ${error.detail}` : ''}`);
  }
  if (options.openapi === undefined) return { report: body };
  let doc;
  try {
    doc = readApiDocument(await readFile(options.openapi, 'utf8'));
  } catch (err) {
    throw new CoverageCommandError(`${options.openapi}: ${(err as Error).message}`);
  }
  const byPattern = new Map<string, HttpMethod[]>();
  for (const entry of body.routes) {
    const methods = entry.method === '*' ? HTTP_METHODS : [entry.method];
    byPattern.set(entry.pattern, [...(byPattern.get(entry.pattern) ?? []), ...methods]);
  }
  const routes = [...byPattern].map(([pattern, methods]) => ({ pattern, methods }));
  return { report: body, openapi: { document: options.openapi, ...operationCoverage(doc, routes, options.prefix ?? doc.basePath) } };
}

export function coverageText({ report, openapi }: CoverageResult): string {
  const lines = [`coverage since ${report.since}${report.partial ? ` (recorded only since ${report.observedSince}: earlier traffic is unknown)` : ''}`];
  lines.push(`routes never hit: ${report.neverHit.length} of ${report.routes.length} route methods`);
  for (const { method, pattern } of report.neverHit) lines.push(`  ${method} ${pattern}`);
  const { templates, cap, dropped } = report.notFound;
  lines.push(`answered 404 (no route), by path template: ${templates.length}${dropped > 0 ? ` (${dropped} requests not kept: the ${cap} templates cap was reached)` : ''}`);
  for (const t of templates) lines.push(`  ${String(t.count).padStart(7)}  ${t.method} ${t.template}`);
  if (openapi !== undefined) {
    lines.push(`${openapi.document}: operations with no route: ${openapi.operationsWithoutRoute.length}`);
    for (const label of openapi.operationsWithoutRoute) lines.push(`  ${label}`);
    lines.push(`routes with no operation in ${openapi.document}: ${openapi.routesWithoutOperation.length}`);
    for (const { method, pattern } of openapi.routesWithoutOperation) lines.push(`  ${method} ${pattern}`);
  }
  return lines.join('\n');
}
