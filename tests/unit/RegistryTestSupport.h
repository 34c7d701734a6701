#pragma once

// Setup shared by the registry tests (tst_etcdv3registry_*, tst_etcd2registry, tst_skydnsregistry).
// Header-only so each test includes what it needs.

#include "EtcdClientTestSupport.h"
#include "etcd/EtcdClient.h"
#include "registry/RegistryConfig.h"

#include <QEventLoop>
#include <QSignalSpy>
#include <QTimer>
#include <functional>
#include <optional>

// Runs one EtcdClient call and waits (up to 10 s) for its answer; nullopt when none came.
//     auto r = awaitEtcd([&](auto cb) { client.range(key, {}, this, cb); });
inline std::optional<EtcdResponse> awaitEtcd(const std::function<void(EtcdClient::Callback)> &call)
{
    return wait(call);
}

// A registry under "/services" for host "core-01", with a short request timeout so fault tests
// see failures quickly.
inline RegistryConfig testRegistryConfig(RegistryConfig::Backend backend, const QString &endpoint,
                                         int ttl, int refresh)
{
    RegistryConfig c;
    c.backend = backend;
    c.endpoints = {endpoint};
    c.prefix = QStringLiteral("/services");
    c.hostname = QStringLiteral("core-01");
    c.ttlSeconds = ttl;
    c.refreshSeconds = refresh;
    c.requestTimeoutMs = 2000;
    return c;
}

// True once nothing is queued or in flight (EtcdV3Registry, Etcd2Registry).
template <typename DeclarativeRegistryType>
bool waitIdle(DeclarativeRegistryType &registry, int timeoutMs = 10000)
{
    QSignalSpy idle(&registry, &DeclarativeRegistryType::idle);
    return registry.isIdle() || idle.wait(timeoutMs);
}
