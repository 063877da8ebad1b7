# The weir image: Debian 12 packages only, built with the project's own meson build.
#   docker build -t weir:0.1.0 .
# The runtime stage holds the binary, the rule packs and the shared libraries, and runs as a
# non-root user (65532, as the Helm chart's securityContext expects).
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential meson ninja-build pkg-config librdkafka-dev libhyperscan-dev \
      libmsgpack-dev libjemalloc-dev libyaml-dev libpcre2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY meson.build meson_options.txt ./
COPY filter filter
COPY include include
COPY bench bench
COPY patterns patterns
RUN meson setup /build -Dtests=false -Dbuildtype=release && ninja -C /build filter/weir

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      librdkafka1 libhyperscan5 libmsgpackc2 libjemalloc2 libyaml-0-2 libpcre2-8-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/filter/weir /usr/bin/weir
COPY patterns /usr/share/weir/patterns
ENV WEIR_PATTERNS=/usr/share/weir/patterns
USER 65532:65532
ENTRYPOINT ["/usr/bin/weir"]
CMD ["run", "-c", "/etc/weir/weir.yaml"]
