# The supabase-sync worker (`npm run sync`). Configuration comes from the environment (or an
# env file mounted at /app/.env.sync) and the tables file mounted at /app/sync/tables.config.json.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SUPABASE_SYNC_SKIP_TEMPORAL_CLI=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY src ./src
COPY supabase ./supabase
COPY sync ./sync
COPY bin ./bin
# The worker's bundles, built once here so that each start skips them: its code (bin/bundled.mjs) and
# the workflow bundle (src/temporal/workflow-bundle.ts).
RUN node -e "await import('./bin/bundled.mjs').then((m) => m.bundle('src/sync.ts'))" \
 && node --import tsx -e "await import('./src/temporal/workflow-bundle.ts').then((m) => m.workflowBundle())"
USER node
CMD ["node", "bin/run.mjs", "src/sync.ts"]
