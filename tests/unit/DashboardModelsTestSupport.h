#pragma once

// Setup shared by the dashboard model tests (tst_dashboardmodels_lists, _events, _keytree,
// _state): agent-shaped host and service records, and DashboardModelsTestCase, which starts a
// real etcd on loopback, fills it with two hosts and three services and connects a
// ClusterConnection to it. Header-only.

#include "EtcdTestServer.h"
#include "dashboard/ClusterConnection.h"
#include "etcd/EtcdClient.h"

#include <QTest>
#include <memory>

// Agents that started and registered just before the test: snapshot events carry these times.
inline QDateTime recently()
{
    static const QDateTime t = QDateTime::currentDateTimeUtc().addSecs(-30);
    return t;
}

inline HostRecord hostRecord(const QString &name, const QString &address)
{
    HostRecord h;
    h.hostname = name;
    h.address = address;
    h.agentVersion = "0.1.0";
    h.dockerVersion = "20.10.24";
    h.startedAt = recently();
    return h;
}

inline QByteArray hostValue(const QString &name, const QString &address)
{
    return hostRecord(name, address).toEtcdValue();
}

inline QByteArray serviceKey(const QString &host, const QString &container)
{
    return QStringLiteral("/portolan/services/%1/%1:%2:6379").arg(host, container).toUtf8();
}

inline ServiceRecord serviceRecord(const QString &host, const QString &name,
                                   const QString &container, int port)
{
    ServiceRecord s;
    s.key = QString::fromUtf8(serviceKey(host, container));
    s.id = QStringLiteral("%1:%2:%3").arg(host, container).arg(6379);
    s.name = name;
    s.host = host;
    s.ip = "10.0.0.5";
    s.port = port;
    s.protocol = "tcp";
    s.tags = QStringList{"db"};
    s.containerId = "8f1c0000000000000000";
    s.containerName = container;
    s.image = "example/" + name + ":latest";
    s.registryKey = "/services/" + name + "/" + s.id;
    s.registeredAt = recently().addSecs(1);
    return s;
}

inline QByteArray serviceValue(const QString &host, const QString &name, const QString &container,
                               int port)
{
    return serviceRecord(host, name, container, port).toEtcdValue();
}

class DashboardModelsTestCase : public QObject {
protected:
    void initTestCase()
    {
        QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
        m_client = std::make_unique<EtcdClient>(
            EtcdClientOptions{{m_etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
        put("/portolan/hosts/core-01", hostValue("core-01", "10.0.0.5"));
        put("/portolan/hosts/core-02", hostValue("core-02", "10.0.0.6"));
        put(serviceKey("core-01", "redis.1"), serviceValue("core-01", "redis", "redis.1", 49153));
        put(serviceKey("core-02", "redis.2"), serviceValue("core-02", "redis", "redis.2", 49160));
        put(serviceKey("core-02", "pg.1"), serviceValue("core-02", "postgres", "pg.1", 49170));
        m_connection = std::make_unique<ClusterConnection>();
        m_connection->connectToEtcd(
            EtcdClientOptions{{m_etcd.endpoint()}, 5000, {}, {}, {}, {}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->statusName(), QStringLiteral("ready"), 10000);
    }

    void put(const QByteArray &key, const QByteArray &value)
    {
        bool done = false;
        m_client->put(key, value, 0, this, [&](const EtcdResponse &r) {
            QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
            done = true;
        });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    }
    void del(const QByteArray &key)
    {
        bool done = false;
        m_client->deleteRange(key, {}, this, [&](const EtcdResponse &) { done = true; });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    }

    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_client;
    std::unique_ptr<ClusterConnection> m_connection;
};
