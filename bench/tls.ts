// `npm run bench:tls`: nginx and permgate terminating TLS with the same self-signed certificate, in front of the same
// origin, loaded over HTTPS/1.1 keep-alive, HTTP/2 and a new connection per request (full handshakes), all in one run
// and in interleaved rounds; prints the medians and permgate / nginx for each load, and writes bench/results/tls.json.
import { get as httpsGet } from 'node:https';
import { findOnPath } from './child-processes.js';
import { raisedLimits, withTlsListener } from './config-variants.js';
import { startNginx, startOrigin, startPermgate, type Contender } from './contenders.js';
import { cpuMicros } from './cpu-time.js';
import { median, table } from './report.js';
import { writeResultsFile } from './results-file.js';
import { BENCH_JWT_SECRET } from './scenarios.js';
import { selfSignedCertificate, type KeyType, type SelfSignedCertificate } from './self-signed-certificate.js';
import { readSettings, type BenchSettings } from './settings.js';
import { TLS_PATH, tlsLoads, type TlsLoad, type TlsLoadResult } from './tls-loads.js';

interface Pair {
  readonly load: TlsLoad;
  readonly contender: Contender;
}

interface Sample {
  readonly result: TlsLoadResult;
  /** CPU microseconds the serving process spent per request in the measured run; undefined when unreadable. */
  readonly cpuPerRequest: number | undefined;
}

interface Row {
  readonly load: string;
  readonly target: string;
  readonly rounds: number;
  /** Median over the rounds. */
  readonly perSecond: number;
  /** Summed over the rounds. */
  readonly errors: number;
  readonly non2xx: number;
  readonly cpuPerRequest: number | null;
  /** The load generator's, when it runs in this process (the handshake load): near a whole core, it set the rate. */
  readonly clientCpuPerRequest: number | null;
  readonly negotiated: string;
}

const out = (text: string): void => void process.stdout.write(text);

function keyType(env: NodeJS.ProcessEnv): KeyType {
  const value = env.BENCH_TLS_KEY || 'ec';
  if (value !== 'ec' && value !== 'rsa') throw new Error(`BENCH_TLS_KEY must be ec or rsa, got "${value}"`);
  return value;
}

async function startTargets(started: Contender[], certificate: SelfSignedCertificate): Promise<Contender[]> {
  const keep = (contender: Contender): Contender => (started.push(contender), contender);
  const origin = keep(await startOrigin());
  const targets: Contender[] = [];
  const nginx = await startNginx(origin.url, 1, certificate);
  if (nginx) targets.push(keep(nginx));
  else out('nginx: not on PATH, the nginx target is skipped\n');
  try {
    const editConfig = (yaml: string): string => withTlsListener(raisedLimits(yaml), certificate);
    targets.push(keep(await startPermgate(origin.url, { name: 'permgate', env: { PERMGATE_JWT_SECRET: BENCH_JWT_SECRET }, editConfig, tls: true })));
  } catch (err) {
    // nginx's figures are still worth having; the exit code says the run is incomplete.
    process.exitCode = 1;
    out(`permgate: did not start with a TLS listener, skipped: ${err instanceof Error ? err.message.split('\n').slice(0, 6).join('\n  ') : String(err)}\n`);
  }
  return targets;
}

/** One request over TLS, verifying the bench's certificate; anything but a 2xx stops the bench with the answer. */
function preflight(contender: Contender, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(contender.url + TLS_PATH, { ca, agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status <= 299) resolve();
        else reject(new Error(`${contender.name} answered ${status} to GET ${TLS_PATH}: ${body.slice(0, 300)}`));
      });
    });
    request.once('timeout', () => request.destroy(new Error(`${contender.name}: no answer to GET ${TLS_PATH} within 5 s`)));
    request.once('error', reject);
  });
}

async function runRounds(pairs: readonly Pair[], settings: BenchSettings, ca: string): Promise<Map<Pair, Sample[]>> {
  const samples = new Map<Pair, Sample[]>(pairs.map((pair) => [pair, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Every other round in reverse, as in `npm run bench`: no target always runs right after the same neighbour.
    for (const pair of round % 2 === 1 ? pairs : [...pairs].reverse()) {
      const { load, contender } = pair;
      await contender.checkRunning();
      const run = (seconds: number): Promise<TlsLoadResult> =>
        load.run(contender.url, seconds).catch((err: unknown) => {
          throw new Error(`${load.name} / ${contender.name}, round ${round}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        });
      if (settings.warmupSeconds > 0) await run(settings.warmupSeconds);
      const cpuBefore = await cpuMicros(contender.pid);
      const result = await run(settings.durationSeconds);
      const cpuAfter = await cpuMicros(contender.pid);
      await contender.checkRunning();
      // Running is not answering: a target that stalled after a run would make every later run fail for its own reason.
      await preflight(contender, ca).catch((err: unknown) => {
        throw new Error(`${contender.name} stopped answering after ${load.name}, round ${round}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined || result.requests === 0 ? undefined : (cpuAfter - cpuBefore) / result.requests;
      samples.get(pair)!.push({ result, cpuPerRequest });
      const client = result.clientCpuPerRequest === undefined ? '' : `, client ${result.clientCpuPerRequest.toFixed(0)} CPU µs/req`;
      out(`  round ${round}: ${load.name} / ${contender.name}: ${result.perSecond.toFixed(0)} req/s, ${result.errors} errors, ${result.non2xx} non-2xx, ${cpuPerRequest?.toFixed(1) ?? '-'} CPU µs/req${client}\n`);
    }
  }
  return samples;
}

function summarize(pair: Pair, samples: readonly Sample[]): Row {
  const cpus = samples.flatMap((s) => (s.cpuPerRequest === undefined ? [] : [s.cpuPerRequest]));
  const clientCpus = samples.flatMap((s) => (s.result.clientCpuPerRequest === undefined ? [] : [s.result.clientCpuPerRequest]));
  return {
    load: pair.load.name,
    target: pair.contender.name,
    rounds: samples.length,
    perSecond: median(samples.map((s) => s.result.perSecond)),
    errors: samples.reduce((n, s) => n + s.result.errors, 0),
    non2xx: samples.reduce((n, s) => n + s.result.non2xx, 0),
    cpuPerRequest: cpus.length > 0 ? median(cpus) : null,
    clientCpuPerRequest: clientCpus.length > 0 ? median(clientCpus) : null,
    negotiated: samples.at(-1)?.result.negotiated ?? '',
  };
}

/** permgate / nginx for each load where both ran: req/s (aim: high) and CPU per request (aim: low). */
function ratiosOf(rows: readonly Row[]): { load: string; perSecond: number | null; cpuPerRequest: number | null }[] {
  const loads = [...new Set(rows.map((r) => r.load))];
  return loads.flatMap((load) => {
    const [permgate, nginx] = ['permgate', 'nginx'].map((target) => rows.find((r) => r.load === load && r.target === target));
    if (!permgate || !nginx) return [];
    const cpu = permgate.cpuPerRequest !== null && nginx.cpuPerRequest ? permgate.cpuPerRequest / nginx.cpuPerRequest : null;
    return [{ load, perSecond: nginx.perSecond > 0 ? permgate.perSecond / nginx.perSecond : null, cpuPerRequest: cpu }];
  });
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const h2loadBinary = findOnPath('h2load');
  if (!h2loadBinary) out("h2load: not on PATH (Debian: nghttp2-client), the HTTPS/1.1 and HTTP/2 loads are skipped\n");
  const certificate = await selfSignedCertificate(keyType(process.env));
  const loads = tlsLoads(settings.connections, certificate.pem, h2loadBinary);
  const started: Contender[] = [];
  try {
    const targets = await startTargets(started, certificate);
    for (const contender of targets) await preflight(contender, certificate.pem);
    const pairs = loads.flatMap((load) => targets.map((contender) => ({ load, contender })));

    out(`targets: ${targets.map((t) => `${t.name} ${t.url}`).join(', ') || 'none'}\n`);
    out(`certificate: ${certificate.keyType}, self-signed for 127.0.0.1, the same files for every target\n`);
    out(`loads: ${loads.map((l) => `${l.name} (${l.shape})`).join('; ')}\n`);
    out(`${settings.durationSeconds} s measured (h2load: about, as a request count from the target's last rate) after ${settings.warmupSeconds} s warm-up, ${settings.rounds} interleaved round(s), medians; GET ${TLS_PATH}\n`);
    const samples = await runRounds(pairs, settings, certificate.pem);
    const rows = pairs.map((pair) => summarize(pair, samples.get(pair)!));
    const ratios = ratiosOf(rows);
    out(`\n${table(
      ['load', 'target', 'req/s', 'errors', 'non-2xx', 'CPU µs/req', 'req per CPU-s', 'client CPU µs/req', 'negotiated'],
      rows.map((r) => [
        r.load,
        r.target,
        r.perSecond.toFixed(0),
        String(r.errors),
        String(r.non2xx),
        r.cpuPerRequest?.toFixed(1) ?? '-',
        r.cpuPerRequest ? (1e6 / r.cpuPerRequest).toFixed(0) : '-',
        r.clientCpuPerRequest?.toFixed(0) ?? '-',
        r.negotiated,
      ]),
      2,
    )}`);
    if (ratios.length > 0) out(`\n${table(['permgate / nginx', 'req/s', 'CPU per request'], ratios.map((r) => [r.load, r.perSecond?.toFixed(2) ?? '-', r.cpuPerRequest?.toFixed(2) ?? '-']), 1)}`);
    else out('\npermgate / nginx: no ratio, both targets are needed\n');
    const written = await writeResultsFile('tls.json', {
      settings,
      certificate: certificate.keyType,
      path: TLS_PATH,
      loads: loads.map((l) => ({ name: l.name, shape: l.shape })),
      rows,
      ratios,
      samples: pairs.map((pair) => ({ load: pair.load.name, target: pair.contender.name, runs: samples.get(pair)!.map((s) => ({ ...s.result, cpuPerRequest: s.cpuPerRequest ?? null })) })),
    });
    out(`\nwritten: ${written}\n`);
  } finally {
    // The proxies before the origin they drain to.
    for (const contender of started.reverse()) await contender.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
