// A target that answers an error would be measured answering errors quickly: each (target, scenario) pair is sent one
// request first, and anything but a 2xx stops the bench with the target's answer.
import type { Contender } from './contenders.js';
import type { Scenario } from './scenarios.js';

export async function preflight(contender: Contender, scenario: Scenario): Promise<void> {
  const response = await fetch(contender.url + scenario.path, {
    method: scenario.method,
    headers: { ...scenario.headers },
    body: scenario.body ?? null,
    signal: AbortSignal.timeout(5_000),
  });
  const body = await response.text();
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${contender.name} answered ${response.status} to ${scenario.method} ${scenario.path} (scenario "${scenario.name}"): ${body.slice(0, 300)}`);
  }
}
