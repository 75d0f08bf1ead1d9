# syntax=docker/dockerfile:1
# The SRE agent image: compiled JavaScript and production dependencies only, run as a non-root user.
# Build:  docker build -t scutum/sre-agent .      Run: see compose.yml and docs/deploy.md.

# --- build: dev dependencies + TypeScript compile to dist/ -------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would compile before the sources are copied; the only install scripts are dev tools'.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only ---------------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    SRE_DATA_DIR=/data \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Application files stay owned by root (read-only to the agent); only /data is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
COPY bin ./bin
COPY drizzle ./drizzle
RUN mkdir -p /data && chown node:node /data
# The base image's unprivileged `node` user (uid 1000).
USER node
VOLUME /data
EXPOSE 8080
# No curl in the slim image: Node's own fetch probes liveness.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `serve` applies pending migrations before listening; `sre-agent migrate` is the one-shot.
CMD ["node", "bin/sre-agent.js", "serve"]
