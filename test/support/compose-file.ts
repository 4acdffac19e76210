import { parse } from 'yaml';

export type Environment = Record<string, string | undefined>;

export type ComposeService = {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string; restart?: boolean }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
};

export type ComposeFile = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const REFERENCE = new RegExp(`\\$(?:(\\$)|\\{(${NAME})(?:(:?[-?+])([^}]*))?\\}|(${NAME}))`, 'g');

/**
 * A value with compose's variable substitution applied: `$$` is a literal `$`; `${X}` and `$X` are X's value (empty
 * when unset); `${X:-d}` is d when X is unset or empty, `${X-d}` only when unset; `${X:?m}` fails when X is unset or
 * empty, `${X?m}` only when unset; `${X:+r}` is r when X is set and not empty, `${X+r}` when set. Anything else
 * compose either refuses or reads in ways this does not follow (a `$` in a default, a lone `$`), so it throws.
 */
export function interpolate(value: string, env: Environment): string {
  if (value.replace(REFERENCE, '').includes('$')) throw new Error(`invalid substitution in ${JSON.stringify(value)}`);
  return value.replace(REFERENCE, (whole, dollar, braced, operator, operand, bare) => {
    if (dollar) return '$';
    const name: string = braced ?? bare;
    const set = env[name] !== undefined;
    const filled = set && env[name] !== '';
    const own = env[name] ?? '';
    if (operand?.includes('$')) throw new Error(`nested substitution in ${whole} is not read here`);
    switch (operator) {
      case undefined:
        return own;
      case ':-':
        return filled ? own : operand;
      case '-':
        return set ? own : operand;
      case ':?':
      case '?':
        if (operator === ':?' ? !filled : !set) throw new Error(`required variable ${name} is missing: ${operand}`);
        return own;
      case ':+':
        return filled ? operand : '';
      case '+':
        return set ? operand : '';
      default:
        throw new Error(`unknown substitution ${whole}`);
    }
  });
}

/** docker-compose.yml as compose reads it: YAML with anchors and merge keys, then every string value substituted. */
export function loadCompose(text: string, env: Environment): ComposeFile {
  const substitute = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, env);
    if (Array.isArray(node)) return node.map(substitute);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value)]));
    }
    return node;
  };
  return substitute(parse(text, { merge: true })) as ComposeFile;
}

/** A published port in its short form, `host_ip:host_port:container_port`. */
export function publishedPort(spec: string): { hostIp: string; hostPort: number; containerPort: number } {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+):(\d+)$/.exec(spec);
  if (!match) throw new Error(`port ${spec} is not host_ip:host_port:container_port`);
  return { hostIp: match[1]!, hostPort: Number(match[2]), containerPort: Number(match[3]) };
}
