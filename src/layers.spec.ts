import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The folders of `src` as floors: each imports only floors below it, never one beside or above. Pure
 * logic and contracts at the bottom, the HTTP routes at the top. A new folder must be given a floor here.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['phone', 'config', 'validation'], // pure number logic; global settings and validation helpers
  ['calls', 'http', 'observability'], // pure call facts and texts; the HTTP edge's helpers; metrics
  ['core'], // contracts: LookupSource, Candidate, SourceError, record ids, WorkflowHandler
  ['resilience'], // generic: budgets, back-off, single-flight, deadlines
  ['shared-state'], // the Redis the replicas share, and what is kept there with a fallback in memory
  ['outbox'], // workflow writes kept until their CRM takes them (SQLite, or Redis when shared)
  ['sources'], // one folder per outside system, and the registry of their workflow handlers
  ['tenants'], // tenant files → tenants attached to their sources, reloaded
  ['source-access', 'auth'], // the one door to a source; who is calling
  ['logging'], // the request line
  ['lookup', 'workflows'], // the use cases, over HTTP
  ['health', 'logos', 'admin'], // the routes for monitors, the cards' badges and the admin
  ['.'], // bootstrap: app.module, main, check, lifecycle
];

const SRC = __dirname;

function floorOf(folder: string): number {
  const floor = FLOORS.findIndex((folders) => folders.includes(folder));
  if (floor === -1) throw new Error(`src/${folder} has no floor in layers.spec.ts: give it one`);
  return floor;
}

/** `src/lookup/rank.ts` → `lookup`; `src/phone` (its index) → `phone`; files directly in `src` → `.`. */
function folderOf(path: string): string {
  const [first, ...rest] = relative(SRC, path).split(sep);
  return rest.length > 0 || existsSync(join(SRC, first!, 'index.ts')) ? first! : '.';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every relative import of every source file, as `from → to` folder pairs with the file that makes it. */
function crossFolderImports(): Array<{ file: string; from: string; to: string }> {
  return sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].flatMap(([, specifier]) => {
      const from = folderOf(file);
      const to = folderOf(normalize(join(dirname(file), specifier!)));
      return from === to ? [] : [{ file: relative(SRC, file), from, to }];
    });
  });
}

describe('the layers of src', () => {
  const imports = crossFolderImports();

  it('finds the imports between folders (the check looks at something)', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports).toContainEqual({ file: join('lookup', 'lookup.service.ts'), from: 'lookup', to: 'source-access' });
  });

  it('has every folder import only folders on floors below its own', () => {
    const upward = imports.filter(({ from, to }) => floorOf(to) >= floorOf(from)).map(({ file, to }) => `${file} imports src/${to}`);
    expect(upward).toEqual([]);
  });

  it('gives every folder of src a floor', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.filter((folder) => !FLOORS.some((floor) => floor.includes(folder)))).toEqual([]);
  });
});
