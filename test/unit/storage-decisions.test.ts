/** The pure decisions of Storage sync and storage verify (no server). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseTablesFile } from '../../src/config/index.js';
import {
  compareObject,
  emptyDifferences,
  laterCursor,
  mergeListings,
  needsCopy,
  passFrom,
  planBucket,
  refusalOf,
} from '../../src/core/storage-compare.js';
import type { BucketSettings, StoredObject } from '../../src/contracts/storage-ports.js';
import { tusCacheControl } from '../../src/supabase/storage-tus.js';
import {
  bucketFromWorkflowId,
  initialStorageState,
  recordStoragePass,
  storageStatus,
  storageWorkflowId,
} from '../../src/workflows/storage-decisions.js';

const bucket = (over: Partial<BucketSettings> = {}): BucketSettings => ({
  id: 'avatars',
  public: false,
  fileSizeLimit: null,
  allowedMimeTypes: null,
  ...over,
});
/** A plain (single-part) md5 ETag. */
const md5 = (c: string) => `"${c.repeat(32)}"`;
const obj = (name: string, over: Partial<StoredObject> = {}): StoredObject => ({
  name,
  size: 10,
  mimetype: 'image/png',
  cacheControl: 'max-age=3600',
  etag: md5('a'),
  userMetadata: null,
  updatedAt: '2026-12-02T06:00:00.000000Z',
  ...over,
});

void describe('storage config', () => {
  const parse = (json: unknown) => parseTablesFile(json, 'tables.json');
  const refused = (json: unknown) => {
    try {
      parse(json);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    assert.fail('accepted');
  };

  test('buckets listed, "*", with or without tables', () => {
    assert.deepEqual(parse({ storage: { buckets: ['avatars', 'invoices'] } }).storage, {
      buckets: ['avatars', 'invoices'],
    });
    assert.deepEqual(parse({ tables: [{ name: 'orders' }], storage: { buckets: '*' } }).storage, {
      buckets: '*',
    });
    assert.equal(parse({ tables: [{ name: 'orders' }] }).storage, undefined);
  });

  test('bad input: one line naming the file and the fix', () => {
    assert.equal(
      refused({ storage: { bucket: ['a'] } }),
      'tables.json: storage: unknown key "bucket" (did you mean buckets?); allowed keys: buckets',
    );
    assert.equal(
      refused({ storage: { buckets: 'avatars' } }),
      'tables.json: storage.buckets must be "*" or an array of bucket ids, e.g. ["avatars"] (got the string "avatars")',
    );
    assert.equal(
      refused({ storage: { buckets: [] } }),
      'tables.json: storage.buckets is empty; list bucket ids or "*" for every bucket, or leave "storage" out',
    );
    assert.equal(
      refused({ storage: { buckets: ['a', 'a/b'] } }),
      'tables.json: storage.buckets[1] "a/b" is not a bucket id (letters, digits and !-.*\'()&$@=;:+,? and spaces only, no "/")',
    );
    assert.equal(
      refused({ storage: { buckets: ['a', 'a'] } }),
      'tables.json: storage.buckets[1] "a" is listed twice; remove the duplicate',
    );
    assert.equal(
      refused({ storage: ['a'] }),
      'tables.json: storage must be an object like {"storage": {"buckets": ["avatars", "invoices"]}} (got an array)',
    );
    assert.match(refused({ storag: {} }), /unknown top-level key "storag" \(did you mean storage\?\)/);
  });
});

void describe('buckets', () => {
  test('missing on the target: created; the same: kept; other settings: refused with one line', () => {
    assert.deepEqual(planBucket(bucket(), null), { action: 'create' });
    assert.deepEqual(
      planBucket(
        bucket({ allowedMimeTypes: ['image/png', 'image/*'] }),
        bucket({ allowedMimeTypes: ['image/*', 'image/png'] }),
      ),
      { action: 'keep' },
    );
    const plan = planBucket(bucket({ public: true, fileSizeLimit: 1000 }), bucket());
    assert.deepEqual(plan, {
      action: 'refuse',
      message:
        'bucket avatars on the target has other settings than on the source: public false (source: true); file size limit none (source: 1000): make them the same on the target (Storage settings of the bucket, or storage.updateBucket) and the sync goes on',
    });
  });

  test('an object over the limit or of a type not allowed is refused before it is sent', () => {
    assert.equal(refusalOf(obj('a', { size: 11 }), bucket({ fileSizeLimit: 10 }))?.reason, 'too-large');
    assert.equal(refusalOf(obj('a', { size: 10 }), bucket({ fileSizeLimit: 10 })), null);
    assert.equal(refusalOf(obj('a'), bucket({ allowedMimeTypes: ['image/*'] })), null);
    assert.equal(
      refusalOf(obj('a', { mimetype: 'text/plain' }), bucket({ allowedMimeTypes: ['image/*'] }))?.reason,
      'mime-type',
    );
  });

  test('workflow ids', () => {
    assert.equal(storageWorkflowId('avatars'), 'storage-sync:avatars');
    assert.equal(bucketFromWorkflowId('storage-sync:avatars'), 'avatars');
    assert.equal(bucketFromWorkflowId('table-sync:public.x'), undefined);
  });
});

void describe('objects', () => {
  test('copied when missing or different; the same ETag and metadata is the same object', () => {
    assert.equal(needsCopy(obj('a'), undefined), true);
    assert.equal(needsCopy(obj('a'), obj('a')), false);
    assert.equal(needsCopy(obj('a'), obj('a', { etag: md5('d') })), true);
    assert.equal(needsCopy(obj('a'), obj('a', { size: 11 })), true);
    assert.equal(needsCopy(obj('a', { userMetadata: { k: 1 } }), obj('a')), true);
    assert.equal(needsCopy(obj('a', { cacheControl: 'no-cache' }), obj('a')), true);
  });

  test('ETags of different forms: the target is current when written after the change', () => {
    const source = obj('a', { etag: md5('a'), updatedAt: '2026-12-02T06:00:00.000000Z' });
    assert.equal(
      needsCopy(source, obj('a', { etag: '"x-2"', updatedAt: '2026-12-02T06:00:01.000000Z' })),
      false,
    );
    assert.equal(
      needsCopy(source, obj('a', { etag: '"x-2"', updatedAt: '2026-12-02T05:59:59.000000Z' })),
      true,
    );
  });

  test('a pass starts at the cursor minus the lookback; the later cursor wins', () => {
    assert.equal(passFrom(null, 1000), null);
    assert.equal(
      passFrom({ updatedAt: '2026-12-02T06:00:00.000000Z', name: 'a' }, 60_000),
      '2026-12-02T05:59:00.000Z',
    );
    const a = { updatedAt: '2026-12-02T06:00:00.000000Z', name: 'b' };
    const b = { updatedAt: '2026-12-02T06:00:00.000000Z', name: 'c' };
    assert.equal(laterCursor(a, b), b);
    assert.equal(laterCursor(null, a), a);
  });

  test('TUS metadata carries max-age as seconds, anything else as no-cache', () => {
    assert.equal(tusCacheControl('max-age=3600'), '3600');
    assert.equal(tusCacheControl('no-cache'), '');
    assert.equal(tusCacheControl(null), '');
  });
});

void describe('state', () => {
  test('a pass adds its counts, moves the cursor and names the refused objects; a failure is the last error', () => {
    const cursor = { updatedAt: '2026-12-02T06:00:00.000000Z', name: 'z' };
    const refused = [{ name: 'big', reason: 'too-large' as const, message: 'over' }];
    let s = { ...initialStorageState(), prepared: true };
    s = recordStoragePass(
      s,
      { result: { cursor, copied: 3, bytes: 30, unchanged: 1, deleted: 2, refused, refusedCount: 1 } },
      0,
      5,
    );
    assert.deepEqual(s.counters, {
      objectsCopied: 3,
      bytesCopied: 30,
      objectsUnchanged: 1,
      objectsDeleted: 2,
    });
    assert.deepEqual(s.cursor, cursor);
    assert.equal(storageStatus('b', s, false).state, 'running');
    assert.deepEqual(storageStatus('b', s, false).refused, refused);
    s = recordStoragePass(s, { error: 'boom' }, 5, 6);
    assert.equal(storageStatus('b', s, false).state, 'failing');
    assert.deepEqual(s.cursor, cursor);
    assert.equal(storageStatus('b', s, true).state, 'stopped');
  });
});

void describe('verify', () => {
  test('listings merged across pages: missing, extra, different, and hashes where ETags cannot tell', () => {
    const d = emptyDifferences();
    let rest = mergeListings(
      [obj('a'), obj('b'), obj('d')],
      [obj('a', { etag: md5('f') }), obj('c')],
      { sourceDone: false, targetDone: true },
      d,
    );
    assert.deepEqual(
      rest.source.map((o) => o.name),
      [],
    );
    rest = mergeListings(
      [...rest.source, obj('e', { etag: '"m-3"' })],
      [...rest.target, obj('e')],
      { sourceDone: true, targetDone: true },
      d,
    );
    assert.deepEqual(
      d.missing.map((o) => o.name),
      ['b', 'd'],
    );
    assert.deepEqual(d.extra, ['c']);
    assert.deepEqual(
      d.different.map((o) => o.name),
      ['a'],
    );
    assert.equal(compareObject(obj('e', { etag: '"m-3"' }), obj('e')), 'hash');
    assert.equal(compareObject(obj('e', { cacheControl: 'no-cache' }), obj('e')), 'different');
  });

  test('ETags decide only when comparable: two plain md5s, or the same string; else a hash tells', () => {
    const verdict = (a: string | null, b: string | null) =>
      compareObject(obj('e', { etag: a }), obj('e', { etag: b }));
    assert.equal(verdict(md5('a'), md5('a')), 'same');
    assert.equal(verdict(md5('a'), md5('a').toUpperCase().replace(/^/, 'W/')), 'same');
    assert.equal(verdict(md5('a'), md5('b')), 'different');
    assert.equal(verdict('"m-3"', '"m-3"'), 'same');
    assert.equal(verdict('"m-3"', '"n-3"'), 'hash'); // same part count, parts cut elsewhere
    assert.equal(verdict('"m-3"', '"n-4"'), 'hash');
    assert.equal(verdict(md5('a'), '"n-2"'), 'hash');
    assert.equal(verdict('"n-2"', md5('a')), 'hash');
    assert.equal(verdict(null, null), 'hash');
    assert.equal(verdict('', ''), 'hash');
    assert.equal(verdict(md5('a'), null), 'hash');
  });
});
