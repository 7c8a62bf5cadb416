import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually } from './eventually';

export function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A gateway run as its own process, as an admin runs it (`node dist/main.js`, or an npm script): its
 * JSON log lines, its stderr, signals sent to it, and its exit. Killed if a test forgets it.
 */
export class GatewayProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(command: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; port: number }) {
    this.port = options.port;
    this.child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(options.port), ...options.env } });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      const complete = this.stdout.split('\n').slice(0, -1);
      for (const line of complete.slice(this.lines.length)) this.lines.push(parseLine(line));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 120_000);
    this.exited = new Promise((done) =>
      this.child.on('exit', (code, signal) => {
        clearTimeout(killer);
        done({ code, signal });
      }),
    );
  }

  readonly port: number;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  messages(): string[] {
    return this.lines.map((line) => String(line.msg));
  }

  async waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    await eventually(() => this.messages().some((msg) => pattern.test(msg)), timeoutMs);
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Stops it (SIGKILL if it does not stop by itself within the time) and resolves with its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { msg: line };
  }
}
