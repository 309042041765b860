/**
 * docker-compose.yml, the Dockerfile and prometheus.yml cannot be run here (no Docker engine), so
 * they are checked another way: they parse, use only public images with pinned tags, and everything
 * they reference exists in the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  test('runs Temporal with PostgreSQL persistence, its UI, the worker and Prometheus', () => {
    const images = Object.values(compose.services).map((s) => s.image ?? 'build');
    assert.ok(images.some((i) => i.startsWith('temporalio/server:')));
    assert.ok(images.some((i) => i.startsWith('postgres:')));
    assert.ok(images.some((i) => i.startsWith('temporalio/ui:')));
    assert.ok(images.some((i) => i.startsWith('prom/prometheus:')));
    assert.equal(compose.services.worker?.build, '.');
    assert.equal(compose.services.temporal?.environment?.DB, 'postgres12');
  });

  test('references only public images with pinned tags', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.image) continue;
      assert.match(service.image, /^[a-z0-9]+(\/[a-z0-9-]+)?:[\w.-]+$/, `${name}: ${service.image}`);
      assert.ok(!service.image.endsWith(':latest'), `${name} pins a version`);
      assert.ok(
        !service.image.includes('.') || !service.image.split('/')[0]!.includes('.'),
        `${name}: Docker Hub image`,
      );
    }
  });

  test('every dependency is a service, every mounted file exists', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) assert.ok(names.has(dep), `${name} depends on ${dep}`);
      for (const volume of service.volumes ?? []) {
        const hostPath = volume.split(':')[0]!;
        if (hostPath.startsWith('./')) {
          const inRepo = hostPath.slice(2);
          // The tables file is the user's (copied from the example), like .env.sync.
          const expected = inRepo === 'sync/tables.config.json' ? 'sync/tables.config.example.json' : inRepo;
          assert.ok(existsSync(`${root}${expected}`), `${name} mounts ${hostPath}`);
        } else {
          assert.ok(
            compose.volumes && hostPath in compose.volumes,
            `${name}: named volume ${hostPath} is declared`,
          );
        }
      }
    }
  });

  test('the worker serves metrics to the Prometheus service, which scrapes it', () => {
    assert.equal(compose.services.worker?.environment?.SYNC_METRICS_ADDRESS, '0.0.0.0:9464');
    const prometheus = parse(read('prometheus.yml')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    assert.ok(targets.includes('worker:9464'), JSON.stringify(targets));
  });
});

describe('Dockerfile', () => {
  test('builds the worker from a public Node 20 image and runs npm run sync', () => {
    const dockerfile = read('Dockerfile');
    assert.match(dockerfile, /^FROM node:20[\w.-]*$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /CMD \["node", "bin\/run\.mjs", "src\/sync\.ts"\]/);
    for (const [, source] of dockerfile.matchAll(/^COPY (\S+)/gm)) {
      for (const file of source!.split(/\s+/)) assert.ok(existsSync(`${root}${file}`), `COPY ${file}`);
    }
  });
});
