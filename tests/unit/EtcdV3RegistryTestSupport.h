#pragma once

// Setup shared by the EtcdV3Registry tests (tst_etcdv3registry_records, _txns, _leases):
// services of host core-01, a registry config, and EtcdV3RegistryTestCase, which starts a real
// etcd on loopback, empties it before each test and reads back what is really in it.
// Header-only.

#include "EtcdTestServer.h"
#include "RegistryTestSupport.h"
#include "etcd/EtcdClient.h"
#include "registry/EtcdV3Registry.h"

#include <QtTest>
#include <memory>
#include <optional>

inline ServiceDefinition service(const QString &host, const QString &container, int port,
                                 const QString &name = QStringLiteral("redis"))
{
    ServiceDefinition s;
    s.hostname = host;
    s.id = QStringLiteral("%1:%2:%3").arg(host, container).arg(port);
    s.name = name;
    s.ip = QStringLiteral("10.0.0.5");
    s.port = 49000 + port % 1000;
    s.exposedPort = QString::number(port);
    s.tags = QStringList{QStringLiteral("primary")};
    s.attributes.insert(QStringLiteral("region"), QStringLiteral("eu"));
    s.containerId = QStringLiteral("0123456789abcdef");
    s.containerName = container;
    s.image = QStringLiteral("example/redis:latest");
    return s;
}

inline RegistryConfig config(const QString &endpoint, int ttl = 10, int refresh = 0)
{
    return testRegistryConfig(RegistryConfig::Backend::EtcdV3, endpoint, ttl, refresh);
}

class EtcdV3RegistryTestCase : public QObject {
protected:
    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_raw; // checks what is really in etcd

    std::optional<EtcdKeyValue> get(const QString &key, EtcdClient *via = nullptr)
    {
        EtcdClient *c = via ? via : m_raw.get();
        auto r = awaitEtcd([&](auto cb) { c->range(key.toUtf8(), {}, this, cb); });
        if (!r || r->error.isError())
            return std::nullopt;
        const auto kvs = EtcdClient::keyValues(r->json);
        return kvs.isEmpty() ? std::nullopt : std::optional<EtcdKeyValue>(kvs.first());
    }
    qint64 count(const QString &prefix)
    {
        auto r = awaitEtcd([&](auto cb) { m_raw->rangePrefix(prefix.toUtf8(), this, cb); });
        return r ? EtcdClient::int64(r->json[QLatin1String("count")]) : -1;
    }

    void initTestCase()
    {
        QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {m_etcd.endpoint()};
        m_raw = std::make_unique<EtcdClient>(o);
    }

    void init()
    {
        auto r = awaitEtcd([&](auto cb) {
            m_raw->deleteRange(QByteArray(1, '\0'), QByteArray(1, '\0'), this, cb);
        });
        QVERIFY(r && !r->error.isError());
    }
};
