# The portolan-lb image, built from Debian 12 alone (docs/load-balancing.md, "In containers").
# It holds portolan-lb and Debian's haproxy and nginx (with the stream module): portolan-lb runs
# `haproxy -c` / `nginx -t`, which must be the balancer's own version, so the balancer runs from
# this image too, in a container of its own (--entrypoint haproxy or nginx). From the root:
#   packaging/docker/build-image.sh --lb     (tags portolan-lb:<version> and portolan-lb:latest)
#   docker build -f packaging/docker/lb.Dockerfile -t portolan-lb:latest .
# packaging/docker/build-image.sh --lb --offline makes the same layout without this file.
# A file of its own, not a target in Dockerfile: docker.io 20.10's legacy builder would build
# every stage of a shared file.

FROM debian:bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        g++ cmake ninja-build qt6-base-dev qt6-websockets-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY app app
COPY backend backend
COPY bench bench
COPY resources resources
COPY tests tests
# portolan-lb alone: no dashboard, no agent, no tests.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPORTOLAN_DASHBOARD=OFF \
    && cmake --build /build --target portolan-lb \
    && strip -o /portolan-lb /build/app/lb/portolan-lb

FROM debian:bookworm-slim
# The binary's own libraries (build-image.sh --lb --packages computes the same list from the
# binary), the CA certificates for etcds://, and the balancers portolan-lb checks configs with.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates haproxy libc6 libgcc-s1 libnginx-mod-stream libqt6core6 libqt6network6 libstdc++6 nginx \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
        /usr/share/doc/* /usr/share/man/* /usr/share/locale/* /usr/share/info/*
COPY --from=build /portolan-lb /usr/bin/portolan-lb
# `docker stop` sends SIGTERM: portolan-lb (PID 1, with its own handler) revokes its balancer
# record's lease and exits 0; the balancer, in its own container, keeps serving. Root, because it
# signals nginx's master and uses HAProxy's sockets, as the native unit does. It logs to stderr.
ENTRYPOINT ["/usr/bin/portolan-lb"]
LABEL org.opencontainers.image.title="portolan-lb" \
      org.opencontainers.image.description="Keeps HAProxy's or nginx's servers equal to the services in etcd" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
