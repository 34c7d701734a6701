// EtcdClient's credentials against a real etcd on loopback: a user where auth is off, CA files,
// TLS with a client certificate (TestPki), and user/password auth with token renewal.
#include "EtcdClientTestSupport.h"
#include "EtcdTestServer.h"
#include "TestPki.h"
#include "etcd/EtcdClient.h"

#include <QtTest>

class TestEtcdClientSecurity : public QObject {
    Q_OBJECT
private:
    EtcdTestServer m_etcd;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError())); }

    void userWithoutServerAuthStillWorks()
    {
        EtcdClientOptions o = options({m_etcd.endpoint()}, 2000);
        o.username = QStringLiteral("someone");
        o.password = QStringLiteral("pw");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.put("/t/noauth", "v", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
    }

    void badCaFileIsAConfigError()
    {
        EtcdClientOptions o = options({QStringLiteral("https://127.0.0.1:1")}, 2000);
        o.caFile = QStringLiteral("/nonexistent/ca.pem");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Config);
        QVERIFY(r->error.message.contains(QLatin1String("/nonexistent/ca.pem")));
    }

    void tlsAgainstPlainEtcdFails()
    {
        QString https = m_etcd.endpoint();
        https.replace(QLatin1String("http://"), QLatin1String("https://"));
        EtcdClient c(options({https}, 2000));
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.startsWith(
                     QStringLiteral("etcd at %1: TLS handshake failed: ").arg(https)),
                 qPrintable(r->error.message));
        qInfo() << "https to a plain etcd:" << r->error.message;
    }

    void tls()
    {
        TestPki pki;
        QVERIFY(pki.make());
        EtcdTestServer::Options so;
        so.certFile = pki.path("server.pem");
        so.keyFile = pki.path("server.key");
        so.clientCaFile = pki.path("ca.pem");
        EtcdTestServer etcd(so);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QVERIFY(etcd.endpoint().startsWith(QLatin1String("https://")));

        EtcdClientOptions o = options({etcd.endpoint()}, 3000);
        o.caFile = pki.path("ca.pem");
        o.certFile = pki.path("client.pem");
        o.keyFile = pki.path("client.key");
        EtcdClient good(o);
        auto r = wait([&](auto cb) { good.put("/tls/x", "1", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");

        // The system CAs do not know our CA: verification fails with a readable reason.
        EtcdClientOptions unknownCa = o;
        unknownCa.caFile.clear();
        EtcdClient untrusting(unknownCa);
        r = wait([&](auto cb) { untrusting.range("/tls/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.startsWith(
                     QStringLiteral("etcd at %1: TLS handshake failed: ").arg(etcd.endpoint())),
                 qPrintable(r->error.message));
        qInfo() << "unknown CA:" << r->error.message;

        // etcd requires a client certificate.
        EtcdClientOptions noCert = o;
        noCert.certFile.clear();
        noCert.keyFile.clear();
        EtcdClient anonymous(noCert);
        r = wait([&](auto cb) { anonymous.range("/tls/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.contains(QLatin1String("requires a client certificate")),
                 qPrintable(r->error.message));
        qInfo() << "no client certificate:" << r->error.message;
    }

    void auth()
    {
        // Short token TTL, so the token expires and the client must authenticate again.
        EtcdTestServer etcd(EtcdTestServer::Options::withArgs({"--auth-token-ttl", "1"}));
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QString out;
        for (const QStringList &args :
             {QStringList{"user", "add", "root:rootpw"},
              {"role", "add", "app"},
              {"role", "grant-permission", "app", "--prefix=true", "readwrite", "/app/"},
              {"user", "add", "app:apppw"},
              {"user", "grant-role", "app", "app"},
              {"auth", "enable"}}) {
            QVERIFY2(etcd.etcdctl(args, &out) == 0, qPrintable(out));
        }

        EtcdClientOptions o = options({etcd.endpoint()}, 3000);
        o.username = QStringLiteral("app");
        o.password = QStringLiteral("apppw");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.put("/app/x", "1", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(c.authentications(), 1);

        r = wait([&](auto cb) { c.put("/other/x", "1", 0, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Rejected);
        QVERIFY2(r->error.message.contains(QLatin1String("permission denied")),
                 qPrintable(r->error.message));

        QTest::qWait(2500); // the simple token expires after 1 s without use
        r = wait([&](auto cb) { c.range("/app/x", {}, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(EtcdClient::keyValues(r->json).value(0).value, QByteArray("1"));
        QCOMPARE(c.authentications(), 2); // the expired token was replaced once

        o.password = QStringLiteral("wrong");
        EtcdClient wrong(o);
        r = wait([&](auto cb) { wrong.range("/app/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Auth);
        QVERIFY2(r->error.message.contains(QLatin1String("\"app\"")), qPrintable(r->error.message));
        qInfo() << "wrong password:" << r->error.message;

        EtcdClient anonymous(options({etcd.endpoint()}, 3000));
        r = wait([&](auto cb) { anonymous.range("/app/x", {}, this, cb); });
        QVERIFY(r && r->error.isError());
    }
};

QTEST_GUILESS_MAIN(TestEtcdClientSecurity)
#include "tst_etcdclient_security.moc"
