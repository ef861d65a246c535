# Edge server image: the ONNX Runtime model server only (no TorchSharp, no libtorch).
#   docker build -t edge-serve .                       (linux/amd64)
#   docker buildx build --platform linux/arm64 -t edge-serve:arm64 .
#   docker run -p 8000:8000 -p 8001:8001 -v $PWD/models/repository:/models:ro edge-serve
# gRPC (HTTP/2 cleartext) on 8001, v2 REST + /metrics (HTTP/1.1) on 8000. Models: /models/<model>/<version>/.

# ---- build: restore and publish a self-contained server for the target architecture ----
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
# Restore first, from the files restore reads, so source edits reuse the cached restore layer.
COPY Directory.Build.props Directory.Packages.props ./
COPY build/ build/
COPY protos/ protos/
COPY src/Core/Edge.Core.csproj src/Core/
COPY src/Serve/Edge.Serve.csproj src/Serve/
RUN RID=linux-$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) \
 && dotnet restore src/Serve/Edge.Serve.csproj -r $RID -p:SelfContained=true
COPY src/Core/ src/Core/
COPY src/Serve/ src/Serve/
RUN RID=linux-$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) \
 && dotnet publish src/Serve/Edge.Serve.csproj -c Release -r $RID --self-contained true --no-restore \
      -p:PublishSingleFile=false -p:DebugType=none -p:InvariantGlobalization=true -o /app \
 && rm -f /app/*.pdb

# ---- runtime: glibc + libstdc++ only (runtime-deps), non-root ----
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-bookworm-slim AS runtime
WORKDIR /app
COPY --from=build --chown=root:root /app/ ./
# The runtime-deps images define the unprivileged user `app` (uid $APP_UID, 1654).
USER $APP_UID
ENV DOTNET_gcServer=0 \
    DOTNET_TieredPGO=1
EXPOSE 8000 8001
VOLUME ["/models"]
# No curl in the image: the server binary probes its own readiness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/app/Edge.Serve", "--probe", "http://127.0.0.1:8000/v2/health/ready"]
ENTRYPOINT ["/app/Edge.Serve"]
CMD ["--repository", "/models", "--host", "0.0.0.0", "--grpc-port", "8001", "--http-port", "8000"]
