/**
 * The local Storage stand-in, continued: listing (v1 and v2), remove, move, copy, signed URLs,
 * signed uploads, public URLs, and what a trigger on storage.objects sees for each call (a later
 * storage sync depends on it: a move is an UPDATE of the same row, an upsert is an UPDATE too).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { waitFor } from '../support/wait.js';
import { apiError, client, db, objectRows, storageUrl, unique } from '../support/storage.js';

const sb = client();

/** A trigger recording every row change on storage.objects, as a sync's ledger trigger would. */
before(async () => {
  await db.query(`
    create table if not exists public.storage_contract_log (
      seq bigserial primary key, op text, bucket_id text, old_name text, new_name text, old_id uuid, new_id uuid,
      role text, operation text);
    create or replace function public.storage_contract_log() returns trigger language plpgsql as $$
    begin
      insert into public.storage_contract_log (op, bucket_id, old_name, new_name, old_id, new_id, role, operation)
      values (tg_op, coalesce(new.bucket_id, old.bucket_id),
              case when tg_op = 'INSERT' then null else old.name end,
              case when tg_op = 'DELETE' then null else new.name end,
              case when tg_op = 'INSERT' then null else old.id end,
              case when tg_op = 'DELETE' then null else new.id end,
              current_user, current_setting('storage.operation', true));
      return null;
    end $$;
    create or replace trigger storage_contract_log after insert or update or delete on storage.objects
      for each row execute function public.storage_contract_log();
    grant all on public.storage_contract_log, public.storage_contract_log_seq_seq to service_role;`);
});
after(async () => {
  // DROP TRIGGER needs the table's owner in plain Postgres (hosted lets postgres drop its triggers on
  // storage.objects through supautils' drop_trigger_grants): the superuser cleans up.
  const admin = new pg.Client({ connectionString: process.env.STACK_SOURCE_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query('drop trigger if exists storage_contract_log on storage.objects');
  } finally {
    await admin.end();
  }
  await db.end();
});

async function bucket(isPublic = false) {
  const id = unique('o');
  assert.equal((await sb.storage.createBucket(id, { public: isPublic })).error, null);
  return id;
}

async function seed(id: string, names: string[]) {
  for (const name of names) assert.equal((await sb.storage.from(id).upload(name, name)).error, null, name);
}

async function log(id: string) {
  const rows = await db.query<{
    op: string;
    old_name: string | null;
    new_name: string | null;
    old_id: string;
    new_id: string;
    role: string;
    operation: string;
  }>(
    'select op, old_name, new_name, old_id, new_id, role, operation from public.storage_contract_log where bucket_id = $1 order by seq',
    [id],
  );
  return rows.rows;
}

void describe('list', () => {
  test('v1: one level below the prefix, folders first by name, limit, offset, search, sortBy', async () => {
    const id = await bucket();
    await seed(id, ['a.txt', 'B.txt', 'docs/x.txt', 'docs/sub/y.txt', 'docs/z.txt', 'img/p.png']);
    const root = await sb.storage.from(id).list();
    assert.equal(root.error, null);
    assert.deepEqual(
      root.data?.map((e) => [e.name, e.id === null]),
      [
        ['a.txt', false],
        ['B.txt', false],
        ['docs', true],
        ['img', true],
      ],
    );
    const folder = root.data?.find((e) => e.name === 'docs');
    assert.deepEqual(
      { ...folder },
      { name: 'docs', id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null },
    );
    const file = root.data?.find((e) => e.name === 'a.txt');
    assert.equal((file?.metadata as { size?: number }).size, 5);

    const docs = await sb.storage.from(id).list('docs');
    assert.deepEqual(
      docs.data?.map((e) => e.name),
      ['sub', 'x.txt', 'z.txt'],
    );
    const page = await sb.storage.from(id).list('docs', { limit: 1, offset: 1 });
    assert.deepEqual(
      page.data?.map((e) => e.name),
      ['x.txt'],
    );
    const searched = await sb.storage.from(id).list('docs', { search: 'Z' });
    assert.deepEqual(
      searched.data?.map((e) => e.name),
      ['z.txt'],
    );
    const desc = await sb.storage.from(id).list('', { sortBy: { column: 'name', order: 'desc' } });
    assert.deepEqual(
      desc.data?.map((e) => e.name),
      ['img', 'docs', 'B.txt', 'a.txt'],
    );
    const byTime = await sb.storage
      .from(id)
      .list('docs', { sortBy: { column: 'created_at', order: 'desc' } });
    assert.deepEqual(
      byTime.data?.map((e) => e.name),
      ['sub', 'z.txt', 'x.txt'],
      'folders first, then files by time',
    );
  });

  test('v2: full keys, folders with the delimiter, cursor paging', async () => {
    const id = await bucket();
    await seed(id, ['a/1.txt', 'a/2.txt', 'a/deep/3.txt', 'b.txt', 'c/4.txt']);
    const flat = await sb.storage.from(id).listV2({ prefix: 'a/' });
    assert.deepEqual(
      flat.data?.objects.map((o) => o.name),
      ['a/1.txt', 'a/2.txt', 'a/deep/3.txt'],
    );
    assert.equal(flat.data?.hasNext, false);
    const delimited = await sb.storage.from(id).listV2({ with_delimiter: true });
    assert.deepEqual(
      delimited.data?.folders.map((f) => f.name),
      ['a/', 'c/'],
    );
    assert.deepEqual(
      delimited.data?.objects.map((o) => o.name),
      ['b.txt'],
    );
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await sb.storage.from(id).listV2({ limit: 2, cursor });
      names.push(...(data?.objects.map((o) => o.name) ?? []));
      cursor = data?.hasNext ? data.nextCursor : undefined;
    } while (cursor);
    assert.deepEqual(names, ['a/1.txt', 'a/2.txt', 'a/deep/3.txt', 'b.txt', 'c/4.txt']);
  });
});

void describe('remove, move, copy and what a trigger sees', () => {
  test('upload is an INSERT, upsert an UPDATE, move an UPDATE of the same row, remove a DELETE', async () => {
    const id = await bucket();
    const files = sb.storage.from(id);
    await files.upload('f.txt', 'one');
    await files.upload('f.txt', 'two', { upsert: true });
    const [before] = await objectRows(id);
    assert.deepEqual(await files.move('f.txt', 'moved/f.txt'), {
      data: { message: 'Successfully moved' },
      error: null,
    });
    const [moved] = await objectRows(id);
    assert.equal(moved?.id, before?.id, 'a move keeps the row id');
    assert.equal(moved?.name, 'moved/f.txt');
    assert.notEqual(moved?.version, before?.version);
    assert.equal(await (await files.download('moved/f.txt')).data?.text(), 'two');
    assert.equal(apiError((await files.download('f.txt')).error).statusCode, '404');
    const removed = await files.remove(['moved/f.txt', 'never-there.txt']);
    assert.deepEqual(
      removed.data?.map((o) => o.name),
      ['moved/f.txt'],
    );
    assert.deepEqual(await objectRows(id), []);
    assert.deepEqual(
      (await log(id)).map((e) => [e.op, e.old_name, e.new_name, e.role, e.operation]),
      [
        ['INSERT', null, 'f.txt', 'service_role', 'storage.object.upload'],
        ['UPDATE', 'f.txt', 'f.txt', 'service_role', 'storage.object.upload'],
        ['UPDATE', 'f.txt', 'moved/f.txt', 'service_role', 'storage.object.move'],
        ['DELETE', 'moved/f.txt', null, 'service_role', 'storage.object.delete_many'],
      ],
    );
  });

  test('move errors: missing source, existing destination; move across buckets', async () => {
    const id = await bucket();
    const other = await bucket();
    await seed(id, ['a.txt', 'b.txt']);
    const files = sb.storage.from(id);
    assert.deepEqual(apiError((await files.move('nope.txt', 'x.txt')).error), {
      status: 400,
      statusCode: '404',
      message: 'Object not found',
    });
    assert.deepEqual(apiError((await files.move('a.txt', 'b.txt')).error), {
      status: 400,
      statusCode: '409',
      message: 'The resource already exists',
    });
    assert.equal((await files.move('a.txt', 'from-other.txt', { destinationBucket: other })).error, null);
    assert.deepEqual(
      (await objectRows(other)).map((r) => r.name),
      ['from-other.txt'],
    );
    assert.equal(await (await sb.storage.from(other).download('from-other.txt')).data?.text(), 'a.txt');
  });

  test('copy: a new row with the source metadata; an existing destination needs upsert', async () => {
    const id = await bucket();
    await sb.storage.from(id).upload('src.txt', 'copy me', { contentType: 'text/plain', metadata: { m: 1 } });
    const copied = await sb.storage.from(id).copy('src.txt', 'dst/copy.txt');
    assert.deepEqual(copied, { data: { path: `${id}/dst/copy.txt` }, error: null });
    const rows = Object.fromEntries((await objectRows(id)).map((r) => [r.name, r]));
    assert.notEqual(rows['dst/copy.txt']?.id, rows['src.txt']?.id);
    assert.equal(rows['dst/copy.txt']?.metadata?.eTag, rows['src.txt']?.metadata?.eTag);
    assert.equal(rows['dst/copy.txt']?.metadata?.mimetype, 'text/plain');
    assert.deepEqual(rows['dst/copy.txt']?.user_metadata, { m: 1 });
    assert.equal(await (await sb.storage.from(id).download('dst/copy.txt')).data?.text(), 'copy me');
    assert.equal(
      apiError((await sb.storage.from(id).copy('src.txt', 'dst/copy.txt')).error).statusCode,
      '409',
    );
    assert.equal(apiError((await sb.storage.from(id).copy('missing.txt', 'x.txt')).error).statusCode, '404');
  });
});

void describe('signed and public URLs', () => {
  test('createSignedUrl(s): the URL serves the object until it expires; a tampered token is refused', async () => {
    const id = await bucket();
    await seed(id, ['s/one.txt', 'two.txt']);
    const { data, error } = await sb.storage
      .from(id)
      .createSignedUrl('s/one.txt', 60, { download: 'mine.txt' });
    assert.equal(error, null);
    const res = await fetch(data.signedUrl);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 's/one.txt');
    assert.match(res.headers.get('expires') ?? '', /GMT$/);
    assert.equal(
      res.headers.get('content-disposition'),
      "attachment; filename=mine.txt; filename*=UTF-8''mine.txt",
    );
    const tampered = await fetch(data.signedUrl.replace('/s/one.txt', '/two.txt'));
    assert.equal(tampered.status, 400);
    assert.deepEqual(await tampered.json(), {
      statusCode: '400',
      code: 'InvalidSignature',
      error: 'InvalidSignature',
      message: 'Invalid signature',
    });
    const forged = await fetch(data.signedUrl.replace(/token=[^&]+/, (t) => `${t.slice(0, -2)}xx`));
    assert.equal(((await forged.json()) as { message: string }).message, 'signature verification failed');
    assert.equal(
      apiError((await sb.storage.from(id).createSignedUrl('missing.txt', 60)).error).statusCode,
      '404',
    );

    const many = await sb.storage.from(id).createSignedUrls(['two.txt', 'missing.txt'], 60);
    assert.equal(many.data?.[0]?.error, null);
    assert.equal(await (await fetch(many.data[0].signedUrl!)).text(), 'two.txt');
    assert.deepEqual(many.data?.[1], {
      error: 'Either the object does not exist or you do not have access to it',
      path: 'missing.txt',
      signedURL: null,
      signedUrl: null,
    });

    const short = await sb.storage.from(id).createSignedUrl('two.txt', 1);
    const expired = await waitFor(
      async () => {
        const r = await fetch(short.data!.signedUrl);
        return r.status === 400 ? ((await r.json()) as { message: string }) : undefined;
      },
      { timeoutMs: 5000, intervalMs: 200 },
    );
    assert.equal(expired.message, '"exp" claim timestamp check failed');
  });

  test('createSignedUploadUrl + uploadToSignedUrl; an existing key needs upsert', async () => {
    const id = await bucket();
    const { data, error } = await sb.storage.from(id).createSignedUploadUrl('up/file.txt');
    assert.equal(error, null);
    const uploaded = await sb.storage
      .from(id)
      .uploadToSignedUrl('up/file.txt', data.token, Buffer.from('signed upload'), {
        contentType: 'text/plain',
      });
    assert.deepEqual(uploaded, { data: { path: 'up/file.txt', fullPath: `${id}/up/file.txt` }, error: null });
    assert.equal(await (await sb.storage.from(id).download('up/file.txt')).data?.text(), 'signed upload');
    assert.equal(
      apiError((await sb.storage.from(id).createSignedUploadUrl('up/file.txt')).error).statusCode,
      '409',
    );
    const again = await sb.storage.from(id).createSignedUploadUrl('up/file.txt', { upsert: true });
    assert.equal(
      (await sb.storage.from(id).uploadToSignedUrl('up/file.txt', again.data!.token, 'v2')).error,
      null,
    );
    assert.equal(await (await sb.storage.from(id).download('up/file.txt')).data?.text(), 'v2');
    const wrongPath = await sb.storage.from(id).uploadToSignedUrl('other.txt', again.data!.token, 'x');
    assert.equal(apiError(wrongPath.error).message, 'Invalid signature');
  });

  test('getPublicUrl serves objects of public buckets only', async () => {
    const open = await bucket(true);
    const closed = await bucket(false);
    await seed(open, ['p/pub.txt']);
    await seed(closed, ['p/priv.txt']);
    const pub = await fetch(sb.storage.from(open).getPublicUrl('p/pub.txt').data.publicUrl);
    assert.equal(pub.status, 200);
    assert.equal(await pub.text(), 'p/pub.txt');
    assert.equal(pub.headers.get('cache-control'), 'max-age=3600');
    const priv = await fetch(sb.storage.from(closed).getPublicUrl('p/priv.txt').data.publicUrl);
    assert.equal(priv.status, 400);
    assert.deepEqual(await priv.json(), {
      statusCode: '404',
      code: 'NoSuchBucket',
      error: 'Bucket not found',
      message: 'Bucket not found',
    });
    const anonymous = await fetch(`${storageUrl}/object/${closed}/p/priv.txt`);
    assert.equal(anonymous.status, 400, 'without a token a private object is not served');
  });
});
