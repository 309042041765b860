/**
 * Runs the hosted-Supabase figures (bench/hosted.ts) for bench/run.ts, each beside its target, and
 * prints them: apply latency at 500 changes/s and the fail-over on the main stack, staleness over
 * the Realtime quota on a stack of its own that emulates the quota's plan.
 */
import { figureFailover, type FailoverFigure } from './failover-figure.js';
import {
  figureApply,
  figureQuota,
  type ApplyFigure,
  type BenchStack,
  type HostedContext,
  type QuotaFigure,
} from './hosted.js';

type Target = { target: string; value: string; pass: boolean | null };

export interface HostedRun {
  want(figure: 'apply' | 'quota' | 'failover'): boolean;
  quick: boolean;
  log(line: string): void;
  targets: Target[];
  result: Record<string, unknown>;
  main: BenchStack;
  quotaPlan: { plan: 'free' | 'pro' | 'team'; messagesPerSecond: number };
  startStack(plan: 'free' | 'pro' | 'team'): Promise<BenchStack>;
  context(on: BenchStack): HostedContext;
  nextTag(): number;
}

export interface HostedFigures {
  apply?: ApplyFigure;
  quota?: QuotaFigure;
  failover?: FailoverFigure;
}

export async function figureHosted(run: HostedRun): Promise<HostedFigures> {
  const out: HostedFigures = {};
  if (run.want('apply')) {
    run.log('apply latency: 500 changes/s');
    const a = await figureApply(run.context(run.main), 500, run.nextTag());
    out.apply = a;
    run.result.applyLatency = a;
    run.targets.push({
      target: `apply latency inside the worker p99 at 500/s (${a.plan} plan)`,
      value: `${a.applyMs.p99} ms (p50 ${a.applyMs.p50}; the stack's delivery p99 ${a.deliveryMs.p99} ms apart)`,
      pass: null,
    });
  }
  if (run.want('failover')) {
    run.log('failover: two workers, the one running the feeds killed');
    const f = await figureFailover(run.context(run.main));
    out.failover = f;
    run.result.failover = f;
    run.targets.push({
      target: `target current ≤ 10 s after a worker is killed, a second running (${f.plan} plan)`,
      value: `${(f.currentAfterMs / 1000).toFixed(1)} s, ${f.missing} rows missing`,
      pass: f.currentAfterMs <= 10_000 && f.missing === 0,
    });
  }
  if (run.want('quota')) {
    const { plan, messagesPerSecond } = run.quotaPlan;
    run.log(`staleness over the quota: starting a ${plan}-plan stack`);
    const stack = await run.startStack(plan);
    const q = await figureQuota(run.context(stack), messagesPerSecond, run.nextTag());
    out.quota = q;
    run.result.quotaStaleness = q;
    run.targets.push({
      target: `staleness p99 ≤ 5 s at 2.5× the ${plan} plan's ${messagesPerSecond} messages/s, every row arrives`,
      value: `p99 ${q.staleness.p99} ms at ${q.achievedRate}/s, ${q.missing} missing`,
      pass: q.staleness.p99 !== null && q.staleness.p99 <= 5000 && q.missing === 0,
    });
  }
  return out;
}

const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);

export function printHosted(h: HostedFigures): string[] {
  const out: string[] = [];
  if (!h.apply && !h.quota && !h.failover) return out;
  out.push('', '6. Hosted Supabase as it behaves');
  if (h.apply)
    out.push(
      `   apply inside the worker (received → committed) at ${h.apply.rate}/s, ${h.apply.plan} plan: p50 ${ms(h.apply.applyMs.p50)}, p99 ${ms(h.apply.applyMs.p99)} (n=${h.apply.applyMs.n}); delivery by the stack p50 ${ms(h.apply.deliveryMs.p50)}, p99 ${ms(h.apply.deliveryMs.p99)}; end to end p99 ${ms(h.apply.endToEnd.p99)}`,
    );
  if (h.quota)
    out.push(
      `   over the ${h.quota.plan} plan's quota (${h.quota.quotaPerSecond} messages/s) at ${h.quota.achievedRate}/s for ${h.quota.seconds} s: staleness p50 ${ms(h.quota.staleness.p50)}, p99 ${ms(h.quota.staleness.p99)}, max ${ms(h.quota.staleness.max)} (n=${h.quota.staleness.n}); ${h.quota.missing} missing`,
    );
  if (h.failover)
    out.push(
      `   fail-over (${h.failover.plan} plan, ${h.failover.tables} tables, SIGKILL of the worker running the feeds): current ${h.failover.currentAfterMs} ms after the kill; ${h.failover.missing} missing; lag p50 ${ms(h.failover.lag.p50)}, p99 ${ms(h.failover.lag.p99)}`,
    );
  return out;
}
