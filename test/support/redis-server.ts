import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './gateway-process';

/**
 * A real `redis-server` (Debian's package) for one test file, on a free port of 127.0.0.1, keeping
 * nothing on disk, or (`durable`) an append-only file in a temporary folder, as the outbox needs.
 * `stop` (SIGKILL) and `start` again on the same port play an outage or a crash; `pause` (SIGSTOP) plays
 * a Redis that accepts connections but never answers.
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly folder: string | undefined,
  ) {}

  static async start(options: { durable?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.durable ? mkdtempSync(join(tmpdir(), 'redis-')) : undefined);
    await server.start();
    return server;
  }

  /** Stops it and forgets its files. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again on its port after `stop` (does nothing while it runs). */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const keeping = this.folder ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.folder] : ['--appendonly', 'no'];
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...keeping, '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    const failed = new Promise<never>((_, reject) => child.on('error', (error) => reject(new Error(`redis-server did not start (is Debian's redis-server installed?): ${error.message}`))));
    failed.catch(() => undefined);
    await Promise.race([eventually(() => this.answersPing(), 10_000), failed]);
  }

  /** Ends the server at once (SIGKILL), as a crash does; resolves when it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Sends one command in Redis's inline protocol and resolves with the raw reply. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      let reply = '';
      socket.setTimeout(2000, () => socket.destroy(new Error('no reply')));
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        reply += chunk.toString();
        if (reply.endsWith('\r\n')) {
          socket.end();
          resolve(reply);
        }
      });
      socket.connect(this.port, '127.0.0.1', () => socket.write(`${line}\r\n`));
    });
  }

  private async answersPing(): Promise<boolean> {
    try {
      return (await this.command('PING')).startsWith('+PONG');
    } catch {
      return false;
    }
  }
}
