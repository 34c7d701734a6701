#pragma once

// Setup shared by the etcd client tests (tst_etcdclient_*, tst_etcdconnection) and, through
// RegistryTestSupport.h, the registry tests. Header-only.

#include "etcd/EtcdClient.h"

#include <QEventLoop>
#include <QTimer>
#include <functional>
#include <optional>

// Runs one client call and waits for its callback.
inline std::optional<EtcdResponse> wait(const std::function<void(EtcdClient::Callback)> &call,
                                        int timeoutMs = 10000)
{
    std::optional<EtcdResponse> result;
    QEventLoop loop;
    call([&](const EtcdResponse &r) {
        result = r;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!result)
        loop.exec();
    return result;
}

inline EtcdClientOptions options(const QStringList &endpoints, int timeoutMs)
{
    EtcdClientOptions o;
    o.endpoints = endpoints;
    o.requestTimeoutMs = timeoutMs;
    return o;
}
