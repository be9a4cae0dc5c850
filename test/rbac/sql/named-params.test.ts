// Named parameters become the driver's placeholders and nothing else does: a `:name` inside a literal, a quoted name,
// a comment, a dollar-quoted body or a PostgreSQL cast stays text, so no value is ever spliced into SQL text.
import t from 'tap';
import { toPositional } from '../../../src/rbac/sql/named-params.js';
import { bindValues } from '../../../src/rbac/sql/sql-client.js';

t.test('PostgreSQL: each name is one $n, reused where it repeats', async (t) => {
  t.same(toPositional('SELECT r FROM t WHERE a = :subject OR b = :subject', 'postgres'), { text: 'SELECT r FROM t WHERE a = $1 OR b = $1', names: ['subject'] });
  t.same(toPositional("SELECT ':subject' AS x, \"a:b\" FROM t -- :nope\nWHERE c = :subject::text /* :no */", 'postgres'), {
    text: "SELECT ':subject' AS x, \"a:b\" FROM t -- :nope\nWHERE c = $1::text /* :no */",
    names: ['subject'],
  });
  t.same(toPositional("SELECT $q$ :x $q$, 'it''s :y', :subject", 'postgres'), { text: "SELECT $q$ :x $q$, 'it''s :y', $1", names: ['subject'] });
  t.same(toPositional('SELECT a::int, b:: text FROM t', 'postgres').names, [], 'casts are not parameters');
});

t.test('MySQL: one ? per occurrence; backticks, backslash escapes and # comments are text', async (t) => {
  t.same(toPositional('SELECT r FROM t WHERE a = :subject OR b = :subject', 'mysql'), { text: 'SELECT r FROM t WHERE a = ? OR b = ?', names: ['subject', 'subject'] });
  t.same(toPositional("SELECT `c:x`, 'a\\':y' # :z\nFROM t WHERE u = :subject", 'mysql'), { text: "SELECT `c:x`, 'a\\':y' # :z\nFROM t WHERE u = ?", names: ['subject'] });
});

t.test('a name the source does not supply is an error, and a value is only ever bound', async (t) => {
  t.throws(() => bindValues(['tenant'], { subject: 'a' }), /names :tenant/);
  t.throws(() => bindValues(['constructor'], { subject: 'a' }), /names :constructor/, 'inherited names are not values');
  t.same(bindValues(['subject', 'subject'], { subject: "x' OR '1'='1" }), ["x' OR '1'='1", "x' OR '1'='1"]);
});
