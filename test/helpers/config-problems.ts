// What a config text is refused for: each problem as the operator reads it (`file:line:col: key: message (hint)`),
// none when it loads. Anything but a ConfigError is thrown on, as a bug.
import { ConfigError, formatIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';

export function configProblems(text: string, file = 'gw.yaml'): string[] {
  try {
    parseConfig(text, file);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map(formatIssue);
  }
}
