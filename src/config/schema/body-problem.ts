// An admin request body that fails its route schema (admin-body-schema.ts), in the admin API's words: the first
// problem, naming the field, as the `detail` of a 400 PG_ADMIN_BAD_INPUT. The words are the config's (a tenant, a
// role name, a date-time) so the two places that take grants and bindings say the same thing.
import type { ErrorObject } from 'ajv';
import { formatKeyPath } from '../config-error.js';
import { schemaProblems } from './schema-problems.js';

/** The detail for the first problem in `errors`; `body` is the body as sent. */
export function bodyProblem(errors: readonly ErrorObject[], body: unknown): string {
  const [problem] = schemaProblems(errors, body);
  if (problem === undefined) return 'the body is not valid';
  const what = problem.schema.title;
  if (problem.keyword === 'additionalProperties') {
    const field = problem.path.at(-1);
    const known = Object.keys(problem.schema.properties ?? {});
    return `unknown field "${String(field)}"${what ? ` (${what} takes ${known.join(', ')})` : ''}`;
  }
  if (problem.keyword === 'type' && problem.schema.type === 'object') return `expected a JSON object${what ? ` (${what})` : ''}`;
  const field = formatKeyPath(problem.path);
  return `${field ? `"${field}": ` : ''}${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`;
}
