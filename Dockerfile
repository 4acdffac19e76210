# syntax=docker/dockerfile:1
# orderstream's image: the API by default; the fulfillment service with the command
# `node --import tsx fulfillment/main.ts`. README.md, "Running in containers".
#   docker build -t orderstream .
# The runtime always has DATABASE_URL (the embedded PostgreSQL of `npm start` is for a developer's machine) and, with
# NODE_ENV=production, needs AUTH_JWT_SECRET or AUTH_JWKS_URL, and DATA_KEY.

# The Node.js the project is developed and tested on (package.json engines: >= 20.19).
ARG NODE_VERSION=20.20

# Production dependencies only. No install scripts: the runtime needs none of them (the Prisma client is generated
# in the build stage, esbuild's binary comes with its platform package, the embedded PostgreSQL is not used), and
# Prisma's would download an engine the runtime never runs.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The typed clients of src/generated/: `npm run generate` needs the Prisma CLI and GraphQL Code Generator (a
# devDependency), so it runs here, with every dependency, over the whole context (codegen.ts may read documents
# anywhere in it; .dockerignore keeps out what is made here or stays on the host).
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run generate

FROM node:${NODE_VERSION}-bookworm-slim
# Listens on every interface of the container; production refuses to start without real token checks.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json schema.graphql ./
COPY prisma ./prisma
COPY src ./src
COPY fulfillment ./fulfillment
COPY --from=build /app/src/generated ./src/generated
# The image's own user (uid 1000): nothing under /app is written at run time.
USER node
EXPOSE 4000
# /readyz: the database answers and every migration is applied. No curl in a slim image: Node's own fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --start-interval=2s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server itself, not `npm start`: its prestart would generate again, and npm does not pass SIGTERM on, which
# the server needs to drain and close its sockets with 1001.
CMD ["node", "--import", "tsx", "src/main.ts"]
