/** The demo's arrival times (src/engine/local.ts), for the summary it prints when it stops. */
export class Lags {
  private readonly ms: number[] = [];
  missed = 0;
  add(ms: number): void {
    this.ms.push(ms);
  }
  summary(): string {
    const n = this.ms.length + this.missed;
    if (n === 0) return 'no changes written';
    const sorted = [...this.ms].sort((a, b) => a - b);
    const median = sorted.length > 0 ? `, median lag ${sorted[Math.floor(sorted.length / 2)]} ms` : '';
    return `${n} change(s) written${median}${this.missed > 0 ? `, ${this.missed} not on the target within 10 s` : ''}`;
  }
}
