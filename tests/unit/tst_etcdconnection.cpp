// EtcdConnection and EtcdConnectionPool, the etcd transport: keep-alive reuse, the pool's
// bound, and a connection etcd closes while idle, against a real etcd; faults a real etcd
// cannot be made to produce (a peer that closes mid-header, stalls, sends a body over the cap,
// breaks HTTP framing, or closes a kept-alive connection as the next request arrives) against
// FakeEtcdPeer.
#include "EtcdClientTestSupport.h"
#include "EtcdTestServer.h"
#include "etcd/EtcdClient.h"
#include "etcd/EtcdConnection.h"
#include "etcd/EtcdConnectionPool.h"
#include "etcd/EtcdWatchStream.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <optional>

// A fake etcd whose answer to the n-th request (from 0, counted over all connections) is
// written by a script: it can cut, stall or mangle an answer, which a real etcd never does on
// demand. A request counts once its header section has arrived.
class FakeEtcdPeer : public QTcpServer {
public:
    using Script = std::function<void(QTcpSocket *, int request)>;
    explicit FakeEtcdPeer(Script script) : m_script(std::move(script))
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                ++connections;
                connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    QByteArray &seen = m_pending[s];
                    seen += s->readAll();
                    while (seen.contains("\r\n\r\n")) {
                        seen.remove(0, seen.indexOf("\r\n\r\n") + 4);
                        seen.clear(); // our requests' bodies arrive with their headers
                        m_script(s, requests++);
                    }
                });
            }
        });
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }
    int connections = 0;
    int requests = 0;

private:
    Script m_script;
    QHash<QTcpSocket *, QByteArray> m_pending;
};

namespace {
const QByteArray Ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                      "2\r\n\r\n{}";

QByteArray rangeRequest(const QString &endpoint)
{
    const QByteArray host = QUrl(endpoint).authority().toUtf8();
    const QByteArray body = R"({"key":"L3g="})";
    return "POST /v3/kv/range HTTP/1.1\r\nHost: " + host +
           "\r\nContent-Type: application/json\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

// One exchange on connection; false when finished() did not come within timeoutMs.
bool exchange(EtcdConnection *connection, const QString &endpoint, qint64 cap = 0,
              int timeoutMs = 5000)
{
    QSignalSpy finished(connection, &EtcdConnection::finished);
    connection->send(rangeRequest(endpoint), cap);
    return finished.wait(timeoutMs);
}

qint64 residentKiB(const QByteArray &field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(field.size()).trimmed().split(' ').value(0).toLongLong();
    return -1;
}
} // namespace

class tst_EtcdConnection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_etcd = std::make_unique<EtcdTestServer>();
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
    }

    // Requests one after another share one connection.
    void keepAlive()
    {
        EtcdConnectionPool pool(m_etcd->endpoint(), nullptr);
        EtcdConnection *first = nullptr;
        for (int i = 0; i < 20; ++i) {
            EtcdConnection *got = nullptr;
            pool.acquire([&got](EtcdConnection *c) { got = c; });
            QVERIFY(got);
            if (!first)
                first = got;
            QCOMPARE(got, first);
            QVERIFY(exchange(got, m_etcd->endpoint()));
            QCOMPARE(got->failure(), EtcdConnection::Failure::None);
            QCOMPARE(got->statusCode(), 200);
            QVERIFY(got->takeBody().contains("\"header\""));
            QVERIFY(got->isIdle());
            pool.release(got);
            QCOMPARE(pool.idleCount(), 1);
        }
    }

    // More requests at once than the pool opens connections: the rest wait their turn.
    void poolBound()
    {
        EtcdClientOptions o;
        o.endpoints = {m_etcd->endpoint()};
        EtcdClient client(o);
        int done = 0, failed = 0;
        for (int i = 0; i < 40; ++i)
            client.put("/pool/" + QByteArray::number(i), "v", 0, this, [&](const EtcdResponse &r) {
                ++done;
                failed += r.error.isError();
            });
        QTRY_COMPARE_WITH_TIMEOUT(done, 40, 10000);
        QCOMPARE(failed, 0);
        const auto pools = client.findChildren<EtcdConnectionPool *>();
        QCOMPARE(pools.size(), 1);
        QVERIFY(pools[0]->idleCount() <= EtcdConnectionPool::MaxConnections);
        QCOMPARE(pools[0]->busyCount(), 0);
        QTest::qWait(0);
        QVERIFY(client.findChildren<EtcdConnection *>().size() <=
                EtcdConnectionPool::MaxConnections);
    }

    // etcd restarts: the idle connection is lost and dropped; the next request opens a new one.
    void idleConnectionClosedByEtcd()
    {
        EtcdTestServer etcd;
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {etcd.endpoint()};
        EtcdClient client(o);
        auto r = wait([&](auto cb) { client.put("/restart/a", "1", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        auto *pool = client.findChild<EtcdConnectionPool *>();
        QCOMPARE(pool->idleCount(), 1);
        etcd.stop();
        QTRY_COMPARE(pool->idleCount(), 0);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        r = wait([&](auto cb) { client.range("/restart/a", {}, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(EtcdClient::keyValues(r->json).value(0).value, QByteArray("1"));
    }

    void closedMidHeader()
    {
        FakeEtcdPeer peer([](QTcpSocket *s, int) {
            s->write("HTTP/1.1 200 OK\r\nContent-Ty");
            s->disconnectFromHost();
        });
        EtcdConnection c(peer.endpoint(), nullptr);
        QVERIFY(exchange(&c, peer.endpoint()));
        QCOMPARE(c.failure(), EtcdConnection::Failure::Closed);
        QVERIFY2(c.failureText().contains(QLatin1String("before the end of the headers")),
                 qPrintable(c.failureText()));
        QVERIFY(!c.isIdle());

        // Through the client: a transport fault, so the next endpoint answers.
        EtcdClientOptions o;
        o.endpoints = {peer.endpoint(), m_etcd->endpoint()};
        EtcdClient client(o);
        auto r = wait([&](auto cb) { client.range("/x", {}, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(r->endpoint, m_etcd->endpoint());
    }

    void brokenFraming()
    {
        FakeEtcdPeer peer(
            [](QTcpSocket *s, int) { s->write("HTTP/1.1 200 OK\nContent-Length: 2\n\n{}"); });
        EtcdConnection c(peer.endpoint(), nullptr);
        QVERIFY(exchange(&c, peer.endpoint()));
        QCOMPARE(c.failure(), EtcdConnection::Failure::BadResponse);
        QVERIFY2(c.failureText().contains(QLatin1String("bare LF")), qPrintable(c.failureText()));
    }

    void stallIsATimeout()
    {
        FakeEtcdPeer peer([](QTcpSocket *s, int) {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{");
        });
        EtcdClientOptions o;
        o.endpoints = {peer.endpoint()};
        o.requestTimeoutMs = 300;
        EtcdClient client(o);
        auto r = wait([&](auto cb) { client.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Timeout);
        QCOMPARE(
            r->error.message,
            QStringLiteral("etcd at %1 did not answer within 300 ms").arg(peer.endpoint().mid(7)));
    }

    void connectionCloseIsNotReused()
    {
        FakeEtcdPeer peer([](QTcpSocket *s, int) {
            s->write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        });
        EtcdConnection c(peer.endpoint(), nullptr);
        QVERIFY(exchange(&c, peer.endpoint()));
        QCOMPARE(c.failure(), EtcdConnection::Failure::None);
        QVERIFY(!c.isIdle());
        QVERIFY(exchange(&c, peer.endpoint())); // a new connection
        QCOMPARE(peer.connections, 2);
    }

    // The first answer keeps the connection; the peer then drops it just as the second request
    // arrives, unanswered: sent again once on a fresh connection.
    void staleKeepAliveIsRetriedOnce()
    {
        FakeEtcdPeer peer([](QTcpSocket *s, int n) {
            if (n == 1)
                s->abort();
            else
                s->write(Ok);
        });
        EtcdConnection c(peer.endpoint(), nullptr);
        QVERIFY(exchange(&c, peer.endpoint()));
        QVERIFY(c.isIdle());
        QVERIFY(exchange(&c, peer.endpoint()));
        QCOMPARE(c.failure(), EtcdConnection::Failure::None);
        QCOMPARE(c.takeBody(), QByteArray("{}"));
        QCOMPARE(peer.connections, 2);
        QCOMPARE(peer.requests, 3);
    }

    // A body over the cap is refused without reading (much) past it: the peak stays near the cap.
    void overCapBody_data()
    {
        QTest::addColumn<bool>("chunked");
        QTest::newRow("Content-Length") << false;
        QTest::newRow("chunked") << true;
    }
    void overCapBody()
    {
        QFETCH(bool, chunked);
        constexpr qint64 Cap = 8 * 1024 * 1024;
        qint64 sent = 0;
        FakeEtcdPeer peer([chunked, &sent](QTcpSocket *s, int) {
            const QByteArray piece(64 * 1024, ' ');
            s->write(chunked ? QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                             : QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 419430400\r\n\r\n"));
            const auto more = [s, piece, chunked, &sent] {
                while (sent < 400LL * 1024 * 1024 && s->bytesToWrite() < piece.size() &&
                       s->state() == QAbstractSocket::ConnectedState) {
                    s->write(chunked ? "10000\r\n" + piece + "\r\n" : piece);
                    sent += piece.size();
                }
            };
            QObject::connect(s, &QTcpSocket::bytesWritten, s, more);
            more();
        });
        QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
        QVERIFY(clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1);
        clearRefs.close();
        const qint64 before = residentKiB("VmRSS:");
        EtcdConnection c(peer.endpoint(), nullptr);
        QVERIFY(exchange(&c, peer.endpoint(), Cap, 20000));
        const qint64 peak = residentKiB("VmHWM:");
        QCOMPARE(c.failure(), EtcdConnection::Failure::TooLarge);
        QVERIFY(c.takeBody().isEmpty());
        qInfo("cap 8 MiB: the fake wrote %lld MiB; VmRSS %lld MiB before, peak %lld MiB",
              sent / (1024 * 1024), before / 1024, peak / 1024);
        // The cap, the socket's read buffer and what the fake itself holds, with slack for
        // the allocator: far from the 400 MB on offer.
        QVERIFY2(peak - before < (Cap + 8 * 1024 * 1024) / 1024,
                 qPrintable(QStringLiteral("peak grew by %1 KiB").arg(peak - before)));
    }

    // Over TLS (a self-signed certificate for 127.0.0.1 as the CA): requests keep one
    // connection, and a watch streams on a connection of its own.
    void tlsKeepAliveAndWatch()
    {
        QTemporaryDir dir;
        QProcess openssl;
        openssl.setWorkingDirectory(dir.path());
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start(QStringLiteral("openssl"),
                      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                       "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj",
                       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
        QVERIFY(openssl.waitForFinished(20000));
        QVERIFY2(openssl.exitCode() == 0, openssl.readAll().constData());
        EtcdTestServer::Options so;
        so.certFile = dir.filePath(QStringLiteral("cert.pem"));
        so.keyFile = dir.filePath(QStringLiteral("key.pem"));
        EtcdTestServer etcd(so);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {etcd.endpoint()};
        o.caFile = so.certFile;
        EtcdClient client(o);

        EtcdWatchStream stream(&client, {"/tls/", 0, false, false});
        QList<EtcdWatchMessage::Event> events;
        bool created = false;
        connect(&stream, &EtcdWatchStream::message, this, [&](const EtcdWatchMessage &m) {
            created = created || m.created;
            events += m.events;
        });
        stream.open();
        QTRY_VERIFY(created);
        for (const char *value : {"1", "2", "3"}) {
            auto r = wait([&](auto cb) { client.put("/tls/k", value, 0, this, cb); });
            QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        }
        QTRY_COMPARE(events.size(), 3);
        QCOMPARE(events.last().kv.value, QByteArray("3"));
        const auto *pool = client.findChild<EtcdConnectionPool *>();
        QCOMPARE(pool->idleCount(), 1); // three requests, one kept-alive connection
        QVERIFY(stream.isOpen());
    }

private:
    std::unique_ptr<EtcdTestServer> m_etcd;
};

QTEST_GUILESS_MAIN(tst_EtcdConnection)
#include "tst_etcdconnection.moc"
