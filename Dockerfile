# syntax=docker/dockerfile:1
# ferry: container-image sync daemon (a drop-in for dregsy's image).
#   docker run -d --rm --name ferry -v /path/to/config.yaml:/config.yaml IMAGE
# The default command reads /config.yaml and serves /metrics, /healthz, /readyz, /status and the status page on :9090
# (every interface, explicitly: a bare port would bind 127.0.0.1 only).

FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle-cli.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
# dregsy's image keeps registry certificates here (skopeo.certs-dir defaults to /etc/skopeo/certs.d): mount
# /etc/skopeo/certs.d/<registry[:port]>/{ca.crt,client.cert,client.key} as with dregsy.
RUN mkdir -p /etc/skopeo/certs.d && chmod 0755 /etc/skopeo/certs.d
USER node
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/ferry.js"]
CMD ["-config=/config.yaml", "-listen=:9090"]
