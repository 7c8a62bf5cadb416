import { Writable } from 'node:stream';

/** Collects the gateway's JSON log lines so tests can read what an admin would see. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  private raw = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.raw += chunk.toString('utf8');
    let newline = this.raw.indexOf('\n');
    while (newline !== -1) {
      const line = this.raw.slice(0, newline);
      this.raw = this.raw.slice(newline + 1);
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
      newline = this.raw.indexOf('\n');
    }
    callback();
  }

  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }

  find(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(predicate);
  }
}
