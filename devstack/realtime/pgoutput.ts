/**
 * Parser for PostgreSQL's built-in `pgoutput` logical decoding messages (protocol version 1), as
 * returned one message per row by `pg_logical_slot_get_binary_changes`.
 * Reference: PostgreSQL docs, "Logical Replication Message Formats".
 */

/** Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's timestamp epoch). */
const PG_EPOCH_OFFSET_US = 946_684_800_000_000n;

export interface RelationColumn {
  name: string;
  typeOid: number;
  typmod: number;
  /** Part of the replica identity (the primary key by default; every column with FULL). */
  isKey: boolean;
}

export interface RelationMessage {
  tag: 'relation';
  relationId: number;
  schema: string;
  table: string;
  /** `d` default, `n` nothing, `f` full, `i` index. */
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** One column of a tuple: SQL NULL, an unchanged TOASTed value (not sent), or its text form. */
export type TupleValue = { kind: 'null' } | { kind: 'unchanged' } | { kind: 'text'; text: string };

export interface BeginMessage {
  tag: 'begin';
  finalLsn: bigint;
  /** Commit time, microseconds since the Unix epoch. */
  commitTimeUs: bigint;
  xid: number;
}

export interface CommitMessage {
  tag: 'commit';
  commitLsn: bigint;
  endLsn: bigint;
  commitTimeUs: bigint;
}

export interface InsertMessage {
  tag: 'insert';
  relationId: number;
  newTuple: TupleValue[];
}

export interface UpdateMessage {
  tag: 'update';
  relationId: number;
  /** `K`: only the replica identity changed (key columns set, others null); `O`: REPLICA IDENTITY FULL. */
  oldKind: 'K' | 'O' | null;
  oldTuple: TupleValue[] | null;
  newTuple: TupleValue[];
}

export interface DeleteMessage {
  tag: 'delete';
  relationId: number;
  oldKind: 'K' | 'O';
  oldTuple: TupleValue[];
}

export interface OtherMessage {
  tag: 'truncate' | 'type' | 'origin' | 'message' | 'unknown';
}

export type PgOutputMessage =
  | BeginMessage
  | CommitMessage
  | RelationMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | OtherMessage;

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    const value = this.buf.readUInt8(this.offset);
    this.offset += 1;
    return value;
  }
  char(): string {
    return String.fromCharCode(this.byte());
  }
  int16(): number {
    const value = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    const value = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  uint32(): number {
    const value = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  int64(): bigint {
    const value = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  uint64(): bigint {
    const value = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const value = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }
  bytes(length: number): Buffer {
    if (this.offset + length > this.buf.length) throw new Error('pgoutput: truncated value');
    const value = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  timestampUs(): bigint {
    return this.int64() + PG_EPOCH_OFFSET_US;
  }
}

function readTuple(reader: Reader): TupleValue[] {
  const count = reader.int16();
  const values: TupleValue[] = [];
  for (let i = 0; i < count; i++) {
    const kind = reader.char();
    if (kind === 'n') values.push({ kind: 'null' });
    else if (kind === 'u') values.push({ kind: 'unchanged' });
    else if (kind === 't') values.push({ kind: 'text', text: reader.bytes(reader.int32()).toString('utf8') });
    else throw new Error(`pgoutput: unsupported tuple column kind ${JSON.stringify(kind)}`);
  }
  return values;
}

function readRelation(reader: Reader): RelationMessage {
  const relationId = reader.uint32();
  const schema = reader.cstring() || 'pg_catalog';
  const table = reader.cstring();
  const replicaIdentity = reader.char();
  const count = reader.int16();
  const columns: RelationColumn[] = [];
  for (let i = 0; i < count; i++) {
    const flags = reader.byte();
    const name = reader.cstring();
    const typeOid = reader.uint32();
    const typmod = reader.int32();
    columns.push({ name, typeOid, typmod, isKey: (flags & 1) === 1 });
  }
  return { tag: 'relation', relationId, schema, table, replicaIdentity, columns };
}

/** Decodes one pgoutput message. */
export function parsePgOutput(buf: Buffer): PgOutputMessage {
  const reader = new Reader(buf);
  const tag = reader.char();
  switch (tag) {
    case 'B': {
      const finalLsn = reader.uint64();
      const commitTimeUs = reader.timestampUs();
      const xid = reader.uint32();
      return { tag: 'begin', finalLsn, commitTimeUs, xid };
    }
    case 'C': {
      reader.byte(); // flags, unused
      const commitLsn = reader.uint64();
      const endLsn = reader.uint64();
      const commitTimeUs = reader.timestampUs();
      return { tag: 'commit', commitLsn, endLsn, commitTimeUs };
    }
    case 'R':
      return readRelation(reader);
    case 'I': {
      const relationId = reader.uint32();
      const marker = reader.char();
      if (marker !== 'N') throw new Error(`pgoutput: expected N in Insert, got ${marker}`);
      return { tag: 'insert', relationId, newTuple: readTuple(reader) };
    }
    case 'U': {
      const relationId = reader.uint32();
      let marker = reader.char();
      let oldKind: 'K' | 'O' | null = null;
      let oldTuple: TupleValue[] | null = null;
      if (marker === 'K' || marker === 'O') {
        oldKind = marker;
        oldTuple = readTuple(reader);
        marker = reader.char();
      }
      if (marker !== 'N') throw new Error(`pgoutput: expected N in Update, got ${marker}`);
      return { tag: 'update', relationId, oldKind, oldTuple, newTuple: readTuple(reader) };
    }
    case 'D': {
      const relationId = reader.uint32();
      const marker = reader.char();
      if (marker !== 'K' && marker !== 'O')
        throw new Error(`pgoutput: expected K or O in Delete, got ${marker}`);
      return { tag: 'delete', relationId, oldKind: marker, oldTuple: readTuple(reader) };
    }
    case 'T':
      return { tag: 'truncate' };
    case 'Y':
      return { tag: 'type' };
    case 'O':
      return { tag: 'origin' };
    case 'M':
      return { tag: 'message' };
    default:
      return { tag: 'unknown' };
  }
}

/** Peeks at the relation id of an Insert/Update/Delete without decoding its tuples. */
export function changeRelationId(buf: Buffer): number | undefined {
  const tag = buf[0];
  if (tag === 0x49 /* I */ || tag === 0x55 /* U */ || tag === 0x44 /* D */) return buf.readUInt32BE(1);
  return undefined;
}
