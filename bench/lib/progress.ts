/**
 * Progress on stderr while the benchmark runs (stdout carries only the final table). On a terminal a running
 * measurement rewrites its own line; elsewhere (CI logs) it prints a line every few seconds instead.
 */
export class Progress {
  private readonly tty: boolean;
  private live = false;
  private lastLine = 0;
  private readonly started = performance.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  private stamp(): string {
    return `[${((performance.now() - this.started) / 1000).toFixed(1).padStart(6)}s]`;
  }

  private endLive(): void {
    if (this.live) {
      this.out.write('\n');
      this.live = false;
    }
  }

  /** A stage or a phase begins. */
  section(title: string): void {
    this.endLive();
    this.out.write(`${this.stamp()} ── ${title}\n`);
  }

  /** A one-off message. */
  info(message: string): void {
    this.endLive();
    this.out.write(`${this.stamp()}    ${message}\n`);
  }

  warn(message: string): void {
    this.endLive();
    this.out.write(`${this.stamp()} !! ${message}\n`);
  }

  /** A running figure, several times a second: rewritten in place on a terminal, throttled to one line per 5 s otherwise. */
  update(message: string): void {
    if (this.tty) {
      this.out.write(`\r\x1b[2K${this.stamp()}    ${message}`);
      this.live = true;
      return;
    }
    const now = performance.now();
    if (now - this.lastLine >= 5000) {
      this.lastLine = now;
      this.out.write(`${this.stamp()}    ${message}\n`);
    }
  }

  /** Ends a running figure with its final value. */
  done(message: string): void {
    if (this.tty) {
      this.out.write(`\r\x1b[2K${this.stamp()}    ${message}\n`);
      this.live = false;
    } else {
      this.out.write(`${this.stamp()}    ${message}\n`);
    }
    this.lastLine = 0;
  }

  /** A line from a child process, kept apart from progress lines. */
  passthrough(prefix: string, line: string): void {
    this.endLive();
    this.out.write(`${prefix} ${line}\n`);
  }
}
