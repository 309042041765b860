/**
 * A first copy's progress on the screen, for `backfill` and the `npm start` demo: on a terminal a
 * cli-progress bar followed by the copy's line (src/core/copy-progress.ts, the line `status` shows),
 * otherwise that line, printed when the count or the estimate moves (and every 10 s while they do
 * not, so a pipe shows it is alive). The count shown never goes back.
 */
import cliProgress from 'cli-progress';
import type { CopyProgress } from '../contracts/table-sync.js';

/** Without a change, a plain line is printed again after this long. */
const REPEAT_MS = 10_000;

export class CopyDisplay {
  private readonly bar: cliProgress.SingleBar | undefined;
  private barStarted = false;
  private shown = '';
  private shownAt = 0;
  /** The most rows shown: a read that missed a chunk completing in between is not shown. */
  private most = 0;

  /** `label`: what the bar and lines begin with (a table name). */
  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.bar =
      out.isTTY === true
        ? new cliProgress.SingleBar({
            format: (options, params, payload: { line: string; estimated: boolean }) => {
              if (!payload.estimated) return `${label} ${payload.line}`;
              const size = options.barsize ?? 30;
              const filled = Math.round(Math.min(1, params.progress) * size);
              return `${label} [${'█'.repeat(filled)}${'░'.repeat(size - filled)}] ${Math.floor(Math.min(1, params.progress) * 100)}% | ${payload.line}`;
            },
            stream: out,
            hideCursor: true,
          })
        : undefined;
  }

  show(p: CopyProgress): void {
    if (!p.done && p.copied < this.most) return;
    this.most = p.copied;
    if (this.bar) this.showBar(this.bar, p);
    else if (`${p.copied} of ${p.estimate}` !== this.shown || Date.now() - this.shownAt >= REPEAT_MS) {
      this.out.write(`${this.label}: ${p.line}\n`);
      this.shown = `${p.copied} of ${p.estimate}`;
      this.shownAt = Date.now();
    }
  }

  private showBar(bar: cliProgress.SingleBar, p: CopyProgress): void {
    const total = Math.max(p.estimate ?? 0, p.copied, 1);
    const payload = { line: p.line, estimated: p.estimate !== null };
    if (!this.barStarted) {
      bar.start(total, p.copied, payload);
      this.barStarted = true;
    } else {
      bar.setTotal(total);
      bar.update(p.copied, payload);
    }
  }

  /** The bar, if shown, at the copy's end (`last`, when it finished), and stopped. */
  end(last?: CopyProgress): void {
    if (!this.bar || !this.barStarted) return;
    if (last?.done) this.showBar(this.bar, { ...last, estimate: last.copied });
    this.bar.stop();
  }
}
