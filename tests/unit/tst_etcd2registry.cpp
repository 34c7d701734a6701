#include "EtcdTestServer.h"
#include "RegistryTestSupport.h"
#include "TestPki.h"
#include "etcd/EtcdConnectionPool.h"
#include "registry/Etcd2Registry.h"
#include "registry/RegistryFactory.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QtTest>

namespace {
ServiceDefinition service(const QString &container, int port)
{
    ServiceDefinition s;
    s.hostname = QStringLiteral("core-01");
    s.id = QStringLiteral("core-01:%1:%2").arg(container).arg(port);
    s.name = QStringLiteral("redis");
    s.ip = QStringLiteral("10.0.0.5");
    s.port = 49153;
    return s;
}

RegistryConfig config(const QString &endpoint, int ttl = 30, int refresh = 0)
{
    return testRegistryConfig(RegistryConfig::Backend::EtcdV2, endpoint, ttl, refresh);
}

// The local ports of this process's established IPv4 connections to 127.0.0.1:port, read from
// /proc: which of our sockets (by inode) /proc/net/tcp lists with that peer.
QSet<int> ownConnectionsTo(int port)
{
    QSet<QString> inodes;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QFileInfo &fd : fds.entryInfoList(QDir::System | QDir::NoDotAndDotDot)) {
        const QString target = fd.symLinkTarget().section(QLatin1Char('/'), -1);
        if (target.startsWith(QLatin1String("socket:[")))
            inodes.insert(target.mid(8).chopped(1));
    }
    QFile tcp(QStringLiteral("/proc/net/tcp"));
    if (!tcp.open(QIODevice::ReadOnly))
        return {};
    const QString peer = QStringLiteral("0100007F:%1").arg(port, 4, 16, QLatin1Char('0')).toUpper();
    QSet<int> ports;
    tcp.readLine(); // header
    while (!tcp.atEnd()) {
        const QStringList f = QString::fromLatin1(tcp.readLine()).simplified().split(' ');
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        if (f.size() > 9 && f[2] == peer && f[3] == QLatin1String("01") && inodes.contains(f[9]))
            ports.insert(f[1].section(QLatin1Char(':'), 1).toInt(nullptr, 16));
    }
    return ports;
}
} // namespace

class TestEtcd2Registry : public QObject {
    Q_OBJECT
private:
    EtcdTestServer m_etcd{EtcdTestServer::Options::v2()}; // --enable-v2
    QNetworkAccessManager m_net;

    // Raw v2 call: returns the JSON answer (empty object on 404 or failure).
    QJsonObject v2(const QByteArray &method, const QString &key, const QByteArray &body = {})
    {
        QNetworkRequest req(QUrl(m_etcd.endpoint() + Etcd2Registry::keysPath(key)));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/x-www-form-urlencoded");
        QNetworkReply *reply = m_net.sendCustomRequest(req, method, body);
        QSignalSpy done(reply, &QNetworkReply::finished);
        done.wait(5000);
        reply->deleteLater();
        if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() >= 300)
            return {};
        return QJsonDocument::fromJson(reply->readAll()).object();
    }
    QString valueOf(const QString &key)
    {
        return v2("GET", key)[QLatin1String("node")][QLatin1String("value")].toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_net.setProxy(QNetworkProxy::NoProxy);
        QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
    }

    void ownId_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<bool>("own");
        QTest::newRow("tcp") << "core-01:redis.1:6379" << true;
        QTest::newRow("udp") << "core-01:dns_1:53:udp" << true;
        QTest::newRow("other host") << "core-02:redis.1:6379" << false;
        QTest::newRow("host prefix only") << "core-01x:redis.1:6379" << false;
        QTest::newRow("custom SERVICE_ID") << "my-redis" << false;
        QTest::newRow("no port") << "core-01:redis.1" << false;
        QTest::newRow("bad container start") << "core-01:-x:80" << false;
    }
    void ownId()
    {
        QFETCH(QString, id);
        QFETCH(bool, own);
        QCOMPARE(Etcd2Registry::isOwnId(id, QStringLiteral("core-01")), own);
    }

    void keysPathEncodes()
    {
        QCOMPARE(Etcd2Registry::keysPath(QStringLiteral("/services/redis/core-01:redis.1:6379")),
                 QStringLiteral("/v2/keys/services/redis/core-01%3Aredis.1%3A6379"));
        QCOMPARE(Etcd2Registry::keysPath(QStringLiteral("/a b/c?d")),
                 QStringLiteral("/v2/keys/a%20b/c%3Fd"));
    }

    void registerRefreshDeregister()
    {
        Etcd2Registry reg(config(m_etcd.endpoint(), 2)); // refresh every ~667 ms
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        QSignalSpy deregistered(&reg, &Registry::serviceDeregistered);
        reg.start();
        const ServiceDefinition s = service(QStringLiteral("redis.1"), 6379);
        reg.registerService(s);
        QVERIFY(registered.wait(5000));
        QCOMPARE(conn.size(), 1);
        const QJsonObject node =
            v2("GET", QStringLiteral("/services/redis/core-01:redis.1:6379"))[QLatin1String("node")]
                .toObject();
        QCOMPARE(node[QLatin1String("value")].toString(), QStringLiteral("10.0.0.5:49153"));
        QVERIFY(node[QLatin1String("ttl")].toInt() > 0 && node[QLatin1String("ttl")].toInt() <= 2);

        QTest::qWait(3500); // outlives the TTL thanks to the refresh
        QCOMPARE(valueOf(QStringLiteral("/services/redis/core-01:redis.1:6379")),
                 QStringLiteral("10.0.0.5:49153"));

        reg.deregisterService(s);
        QVERIFY(deregistered.wait(5000));
        QVERIFY(valueOf(QStringLiteral("/services/redis/core-01:redis.1:6379")).isEmpty());
    }

    void reconcileDeletesOwnStaleKeysOnly()
    {
        for (const char *id : {"core-01:gone.1:80", "core-02:other.1:80", "custom-id"})
            v2("PUT", QStringLiteral("/services/old/") + QLatin1String(id), "value=10.0.0.9:1");
        Etcd2Registry reg(config(m_etcd.endpoint()));
        QSignalSpy stale(&reg, &Registry::staleRemoved);
        reg.start();
        reg.reconcile({service(QStringLiteral("web.1"), 80)});
        QVERIFY(waitIdle(reg));
        QCOMPARE(stale.size(), 1);
        QCOMPARE(stale.first().first().toString(),
                 QStringLiteral("/services/old/core-01:gone.1:80"));
        QVERIFY(valueOf(QStringLiteral("/services/old/core-01:gone.1:80")).isEmpty());
        QVERIFY(!valueOf(QStringLiteral("/services/old/core-02:other.1:80")).isEmpty());
        QVERIFY(!valueOf(QStringLiteral("/services/old/custom-id")).isEmpty());
        QVERIFY(!valueOf(QStringLiteral("/services/redis/core-01:web.1:80")).isEmpty());
    }

    void restartHeals()
    {
        EtcdTestServer etcd(EtcdTestServer::Options::v2());
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        Etcd2Registry reg(config(etcd.endpoint(), 30));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        reg.start();
        reg.registerService(service(QStringLiteral("redis.1"), 6379));
        QVERIFY(waitIdle(reg));
        etcd.stop();
        reg.registerService(service(QStringLiteral("redis.2"), 6380));
        QTRY_COMPARE_WITH_TIMEOUT(conn.size(), 2, 5000);
        QTest::qWait(1000);
        QCOMPARE(conn.size(), 2);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QElapsedTimer t;
        t.start();
        QTRY_COMPARE_WITH_TIMEOUT(conn.size(), 3, 3000);
        QVERIFY(waitIdle(reg));
        qInfo("v2 keys back %lld ms after etcd answered again", t.elapsed());
        QNetworkRequest req(QUrl(etcd.endpoint() + Etcd2Registry::keysPath(QStringLiteral(
                                                       "/services/redis/core-01:redis.2:6380"))));
        QNetworkReply *reply = m_net.get(req);
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        delete reply;
    }

    // Our own transport keeps one connection alive for requests sent one after another: puts,
    // deletes and the listing all travel on it. A burst uses at most the pool's connections, as
    // many as the registry keeps in flight.
    void keepAliveAcrossRequests()
    {
        EtcdTestServer etcd(EtcdTestServer::Options::v2()); // no other client of ours on it
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        const int port = QUrl(etcd.endpoint()).port();
        Etcd2Registry reg(config(etcd.endpoint())); // TTL 30: no refresh within the test
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        QSignalSpy deregistered(&reg, &Registry::serviceDeregistered);
        reg.start();
        QSet<int> seen;
        for (int i = 1; i <= 8; ++i) {
            reg.registerService(service(QStringLiteral("seq.%1").arg(i), 80));
            QVERIFY(registered.wait(5000));
            seen += ownConnectionsTo(port);
        }
        for (int i = 2; i <= 8; ++i) {
            reg.deregisterService(service(QStringLiteral("seq.%1").arg(i), 80));
            QVERIFY(deregistered.wait(5000));
            seen += ownConnectionsTo(port);
        }
        reg.reconcile({service(QStringLiteral("seq.1"), 80)}); // a listing, nothing to delete
        QVERIFY(waitIdle(reg));
        const QSet<int> now = ownConnectionsTo(port);
        seen += now;
        QCOMPARE(now.size(), 1);
        QVERIFY2(seen.size() == 1, qPrintable(QStringLiteral("%1 connections for requests sent "
                                                             "one at a time")
                                                  .arg(seen.size())));

        for (int i = 1; i <= 3 * EtcdConnectionPool::MaxConnections; ++i)
            reg.registerService(service(QStringLiteral("burst.%1").arg(i), 80));
        QVERIFY(waitIdle(reg));
        const int burst = ownConnectionsTo(port).size();
        QVERIFY2(burst >= 1 && burst <= EtcdConnectionPool::MaxConnections,
                 qPrintable(QStringLiteral("%1 connections after a burst").arg(burst)));
        qInfo("one connection for 8 puts, 7 deletes and a listing; %d after a burst of %d puts",
              burst, 3 * EtcdConnectionPool::MaxConnections);
    }

    // Nothing listens: one sentence naming the endpoint. With a second endpoint the request
    // moves on and the key is written there.
    void refusedEndpointAndFailover()
    {
        const QString dead = QStringLiteral("http://127.0.0.1:%1").arg(EtcdTestServer::freePort());
        {
            Etcd2Registry reg(config(dead));
            QSignalSpy conn(&reg, &Registry::connectionChanged);
            reg.start();
            reg.registerService(service(QStringLiteral("refused.1"), 80));
            QVERIFY(conn.wait(5000));
            QCOMPARE(conn.first().at(0).toBool(), false);
            QCOMPARE(conn.first().at(1).toString(),
                     QStringLiteral("etcd at %1 refused the connection").arg(dead.mid(7)));
        }
        RegistryConfig c = config(dead);
        c.endpoints << m_etcd.endpoint();
        Etcd2Registry reg(c);
        QVERIFY(reg.describe().contains(dead.mid(7) + QLatin1Char(',')));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        reg.start();
        reg.registerService(service(QStringLiteral("failover.1"), 80));
        QVERIFY(registered.wait(5000));
        QCOMPARE(conn.size(), 1);
        QCOMPARE(conn.first().at(0).toBool(), true);
        QCOMPARE(valueOf(QStringLiteral("/services/redis/core-01:failover.1:80")),
                 QStringLiteral("10.0.0.5:49153"));
    }

    // etcd2:// over TLS with a client certificate (-etcd-cacert/-etcd-cert/-etcd-key): the key
    // is written; without the certificate etcd refuses the handshake and the sentence says why.
    void tlsWithClientCertificate()
    {
        TestPki pki;
        QVERIFY(pki.make());
        EtcdTestServer::Options so = EtcdTestServer::Options::v2();
        so.certFile = pki.path("server.pem");
        so.keyFile = pki.path("server.key");
        so.clientCaFile = pki.path("ca.pem");
        EtcdTestServer etcd(so);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        RegistryConfig c = config(etcd.endpoint());
        c.tls = true;
        c.caFile = pki.path("ca.pem");
        c.certFile = pki.path("client.pem");
        c.keyFile = pki.path("client.key");
        {
            Etcd2Registry reg(c);
            QSignalSpy registered(&reg, &Registry::serviceRegistered);
            reg.start();
            reg.registerService(service(QStringLiteral("tls.1"), 80));
            QVERIFY(registered.wait(5000));
        }
        c.certFile.clear();
        c.keyFile.clear();
        Etcd2Registry anonymous(c);
        QSignalSpy conn(&anonymous, &Registry::connectionChanged);
        anonymous.start();
        anonymous.registerService(service(QStringLiteral("tls.2"), 80));
        QVERIFY(conn.wait(5000));
        QCOMPARE(conn.first().at(0).toBool(), false);
        const QString why = conn.first().at(1).toString();
        QVERIFY2(why.startsWith(
                     QStringLiteral("etcd at %1: TLS handshake failed: ").arg(etcd.endpoint())) &&
                     why.contains(QLatin1String("requires a client certificate")),
                 qPrintable(why));
    }

    void factory()
    {
        std::unique_ptr<Registry> r(createRegistry(config(m_etcd.endpoint()), nullptr));
        QVERIFY(qobject_cast<Etcd2Registry *>(r.get()));
        QVERIFY(r->describe().startsWith(QStringLiteral("etcd v2 at 127.0.0.1:")));
    }
};

QTEST_GUILESS_MAIN(TestEtcd2Registry)
#include "tst_etcd2registry.moc"
