# syntax=docker/dockerfile:1
# orderstream's image: the API by default; the fulfillment service with the command
# `node dist/fulfillment/main.js`. README.md, "Running in containers".
#   docker build -t orderstream .
# The runtime always has DATABASE_URL (the embedded PostgreSQL of `npm start` is a development dependency) and, with
# NODE_ENV=production, needs AUTH_JWT_SECRET or AUTH_JWKS_URL, and DATA_KEY.

# The Node.js the project is developed and tested on: package.json's pinned `node` devDependency, which npm scripts
# run on.
ARG NODE_VERSION=24.21.0

# Production dependencies only: not the Prisma CLI (the client generated in the build stage needs only
# @prisma/client's runtime), the embedded PostgreSQL, pino-pretty or tsx. --omit=optional too: the Prisma CLI and
# TypeScript are optional peers of @prisma/client, and npm keeps a devDependency that is also an optional dependency
# of a production one unless both kinds are omitted; the production tree's own optional packages are not for Node
# (pg-cloudflare) or not loaded by the server (the IDE's browser build is served as a file). No install scripts:
# the runtime needs none.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# `npm run build`: the typed clients of src/generated/ (the Prisma CLI and GraphQL Code Generator, devDependencies),
# then tsc into dist/, over the whole context (codegen.ts may read documents anywhere in it; .dockerignore keeps
# out what is made here or stays on the host).
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim
# Listens on every interface of the container; production refuses to start without real token checks.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# What dist/ reads from the project's root at run time: engines (the Node.js check), the schema, the migrations.
COPY package.json schema.graphql ./
COPY prisma/migrations ./prisma/migrations
COPY --from=build /app/dist ./dist
# The image's own user (uid 1000): nothing under /app is written at run time.
USER node
EXPOSE 4000
# /readyz: the database answers and every migration is applied. No curl in a slim image: Node's own fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --start-interval=2s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The compiled server itself, not `npm start`: that runs the sources through tsx after generating them, and npm
# does not pass SIGTERM on, which the server needs to drain and close its sockets with 1001. V8 lets its heap grow
# to several times what is live between collections (the service keeps 80-110 MB live under load, yet reached
# 575 MiB of RSS in a 10-minute soak); a heap that grows by a fifth keeps it near what is live, at the price of
# more frequent collections (docs/performance.md). `npm run bench` starts the server with these same flags.
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=20", "dist/main.js"]
