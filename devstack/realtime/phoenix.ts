/**
 * Phoenix channel framing as realtime-js speaks it: vsn 2.0.0 (the default) is a JSON array
 * `[join_ref, ref, topic, event, payload]`; vsn 1.0.0 is an object with the same five keys.
 * Only text frames: realtime-js cannot decode server binary frames other than user broadcasts.
 */

export type Vsn = '1.0.0' | '2.0.0';

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

export const PHX = {
  join: 'phx_join',
  leave: 'phx_leave',
  reply: 'phx_reply',
  close: 'phx_close',
  error: 'phx_error',
  heartbeat: 'heartbeat',
  system: 'system',
  accessToken: 'access_token',
  postgresChanges: 'postgres_changes',
} as const;

/** Phoenix defaults a missing `vsn` to 1.0.0; `~> 2.0.0` selects the array serializer. */
export function parseVsn(raw: string | null): Vsn | undefined {
  if (raw === null || raw === '' || /^1\.\d+\.\d+$/.test(raw)) return '1.0.0';
  if (/^2\.\d+\.\d+$/.test(raw)) return '2.0.0';
  return undefined;
}

const refOrNull = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;

export function decodeFrame(vsn: Vsn, text: string): PhoenixMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(value) || value.length !== 5) return undefined;
    const [joinRef, ref, topic, event, payload] = value as unknown[];
    if (typeof topic !== 'string' || typeof event !== 'string') return undefined;
    return { joinRef: refOrNull(joinRef), ref: refOrNull(ref), topic, event, payload };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.topic !== 'string' || typeof o.event !== 'string') return undefined;
  return {
    joinRef: refOrNull(o.join_ref),
    ref: refOrNull(o.ref),
    topic: o.topic,
    event: o.event,
    payload: o.payload,
  };
}

/** Encodes a frame whose payload is already JSON text (lets a change's data be serialised once). */
export function encodeFrameRaw(
  vsn: Vsn,
  joinRef: string | null,
  ref: string | null,
  topic: string,
  event: string,
  payloadJson: string,
): string {
  if (vsn === '2.0.0') {
    return `[${JSON.stringify(joinRef)},${JSON.stringify(ref)},${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
  }
  return `{"event":${JSON.stringify(event)},"join_ref":${JSON.stringify(joinRef)},"payload":${payloadJson},"ref":${JSON.stringify(ref)},"topic":${JSON.stringify(topic)}}`;
}

export function encodeFrame(
  vsn: Vsn,
  joinRef: string | null,
  ref: string | null,
  topic: string,
  event: string,
  payload: unknown,
): string {
  return encodeFrameRaw(vsn, joinRef, ref, topic, event, JSON.stringify(payload));
}
