# The gateway in a container: build with the compilers and TypeScript, run with the built files and the
# production dependencies only. docs/deploying.md ("Container") says how to build and run it;
# test/e2e/container.e2e-spec.ts replays these lines without Docker.

# --- build: compile better-sqlite3 and the TypeScript, then drop the development dependencies ---
FROM node:20-bookworm-slim AS build
# better-sqlite3 is compiled from its sources (node-gyp needs python3, make and a C++ compiler).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# No binary is downloaded at install time: better-sqlite3 builds from source instead of fetching a
# prebuilt one, and swagger-ui's install-time analytics stay off.
ENV npm_config_build_from_source=true SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# node-gyp compiles against the headers installed with node (/usr/local/include/node here) instead of
# downloading them.
RUN npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund
# better-sqlite3 runs from its compiled module alone: its C sources and the compiler's objects (~25 MB)
# are not copied into the runtime.
RUN cd node_modules/better-sqlite3 \
 && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/sqlite3.a build/Release/test_extension.node

# --- runtime: dist/, production node_modules, templates/, and what `npm run start:prod` / `npm run check` read ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    TENANTS_DIR=/app/tenants \
    DATA_DIR=/var/lib/connector-gateway
WORKDIR /app
# The tenants folder is a mount point (read-only is enough); DATA_DIR (the outbox) must be writable by
# the gateway's user, and a new volume takes this folder's owner.
RUN mkdir -p /app/tenants /var/lib/connector-gateway \
 && chown node:node /var/lib/connector-gateway
# The application files stay owned by root: the gateway's user can read them, not change them.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY scripts/built.js ./scripts/
# The shipped templates (docs/templates.md), read at start from beside dist/.
COPY templates ./templates
USER node
VOLUME ["/var/lib/connector-gateway"]
EXPOSE 3000
# GET /health with node itself (the slim image has neither curl nor wget).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 3000, path: '/health', timeout: 4000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1))"]
# `npm run start:prod` without npm in between, so SIGTERM (docker stop) and SIGHUP reach node.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "dist/main.js"]
