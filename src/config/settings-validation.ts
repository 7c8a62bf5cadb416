import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { closest, distance } from 'fastest-levenshtein';

export interface SettingProblem {
  readonly key: string;
  readonly problem: string;
}

/** Thrown at start when settings are wrong: names where, which key, and what is wrong with it. */
export class ConfigurationError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: readonly SettingProblem[],
  ) {
    super(`${origin} has invalid settings:\n${problems.map((p) => `  - ${p.key}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

const SECRET_KEYS = Symbol('secretSettingKeys');

/** Marks a setting whose value must never be echoed in an error or a log. */
export function Secret(): PropertyDecorator {
  return (target, key) => {
    const keys = (Reflect.getMetadata(SECRET_KEYS, target) as Set<string | symbol> | undefined) ?? new Set();
    keys.add(key);
    Reflect.defineMetadata(SECRET_KEYS, keys, target);
  };
}

function isSecret(schema: new () => object, key: string): boolean {
  const keys = Reflect.getMetadata(SECRET_KEYS, schema.prototype as object) as Set<string | symbol> | undefined;
  return keys?.has(key) ?? false;
}

/** The keys a class-validator schema declares: its decorated properties. */
export function declaredKeys(schema: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

export function describeValue(schema: new () => object, key: string, value: unknown): string {
  if (value === undefined) return `${key} (not set)`;
  return isSecret(schema, key) ? `${key} (value hidden)` : `${key}=${JSON.stringify(value)}`;
}

/**
 * Validates raw string settings (environment or env file) against a class-validator schema.
 * Empty values count as unset, so the schema's default applies.
 */
export function validateSettings<T extends object>(
  schema: new () => T,
  raw: Readonly<Record<string, string | undefined>>,
): { settings: T; problems: SettingProblem[] } {
  const keys = declaredKeys(schema);
  const present: Record<string, string> = {};
  for (const key of keys) {
    const value = raw[key]?.trim();
    if (value !== undefined && value !== '') present[key] = value;
  }
  const settings = plainToInstance(schema, present, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(settings, { forbidUnknownValues: false });
  const problems = errors.map((error) => toProblem(schema, error, present));
  return { settings, problems };
}

function toProblem(schema: new () => object, error: ValidationError, raw: Record<string, string>): SettingProblem {
  // One rule often backs several constraints (whole number, at least, at most): said once.
  const messages = [...new Set(Object.values(error.constraints ?? {}))];
  return {
    key: describeValue(schema, error.property, raw[error.property]),
    problem: messages.join('; '),
  };
}

/**
 * The known key an unknown one is most likely a misspelling of (`METRIC_TOKEN` → `METRICS_TOKEN`), when one
 * is close: at most two edits, or a quarter of the key's length for long keys.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const candidate = closest(key.toUpperCase(), [...known]);
  return distance(key.toUpperCase(), candidate) <= Math.max(2, Math.floor(candidate.length / 4)) ? candidate : undefined;
}

export function distanceToNearestKey(key: string, nearest: string): number {
  return distance(key.toUpperCase(), nearest);
}

/** What to say of a key no schema declares. */
export function unknownKeyProblem(key: string, known: readonly string[], where: string): string {
  const nearest = nearestKey(key, known);
  return nearest === undefined ? `unknown key (check its spelling; see ${where})` : `unknown key: did you mean ${nearest}?`;
}
