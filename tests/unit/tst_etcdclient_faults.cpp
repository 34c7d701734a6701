// EtcdClient when etcd fails it: a refused connection, failover to a live member, a member that
// never answers (and the headers it was sent), and replies too large to keep.
#include "EtcdClientTestSupport.h"
#include "EtcdTestServer.h"
#include "etcd/EtcdClient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QtTest>
#include <memory>

// A fake etcd that accepts connections and never answers: stands in for a member that hangs
// (e.g. a killed leader with a request in flight), which a real etcd cannot be made to do on
// demand. It records what it received, so tests can check the request headers.
class FakeSilentEtcd : public QTcpServer {
public:
    FakeSilentEtcd()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] { received += s->readAll(); });
            }
        });
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }
    QByteArray received;
};

// A fake etcd whose every answer is a 200 with a huge body (400 MB by default): stands in for a
// proxy or an attacker on a plain-http link, which a real etcd cannot be made to be. It runs in
// its own thread, as a real peer would, and writes the body only as fast as the client reads
// it, so the fake itself holds little memory. Framing: announced by Content-Length, chunked, or
// read until the connection closes.
class FakeHugeEtcd : public QTcpServer {
public:
    enum class Framing { ContentLength, Chunked, UntilClose };
    explicit FakeHugeEtcd(Framing framing, qint64 bodyBytes = 400LL * 1024 * 1024)
        : m_framing(framing), m_bodyBytes(bodyBytes)
    {
        moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(
            this,
            [this] {
                listen(QHostAddress::LocalHost, 0);
                connect(this, &QTcpServer::newConnection, this, [this] {
                    while (QTcpSocket *s = nextPendingConnection())
                        connect(s, &QTcpSocket::readyRead, this, [this, s] { answer(s); });
                });
            },
            Qt::BlockingQueuedConnection);
    }
    ~FakeHugeEtcd() override
    {
        QThread *main = QCoreApplication::instance()->thread();
        QMetaObject::invokeMethod(
            this,
            [this, main] {
                close();
                qDeleteAll(findChildren<QTcpSocket *>());
                moveToThread(main);
            },
            Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }
    qint64 bytesSent() const { return m_sent.loadRelaxed(); }

private:
    void answer(QTcpSocket *s)
    {
        s->readAll();
        if (s->property("answering").toBool())
            return;
        s->setProperty("answering", true);
        QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
        if (m_framing == Framing::ContentLength)
            head += "Content-Length: " + QByteArray::number(m_bodyBytes) + "\r\n";
        else if (m_framing == Framing::Chunked)
            head += "Transfer-Encoding: chunked\r\n";
        else
            head += "Connection: close\r\n";
        s->write(head + "\r\n");
        auto left = std::make_shared<qint64>(m_bodyBytes);
        const auto more = [this, s, left] {
            static const QByteArray chunk(256 * 1024, ' ');
            while (*left > 0 && s->bytesToWrite() < chunk.size()) {
                const QByteArray data = chunk.left(int(std::min<qint64>(*left, chunk.size())));
                if (m_framing == Framing::Chunked)
                    s->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
                else
                    s->write(data);
                *left -= data.size();
                m_sent.fetchAndAddRelaxed(data.size());
            }
            if (*left == 0) {
                *left = -1;
                if (m_framing == Framing::Chunked)
                    s->write("0\r\n\r\n");
                if (m_framing == Framing::UntilClose)
                    s->disconnectFromHost();
            }
        };
        connect(s, &QTcpSocket::bytesWritten, this, more);
        more();
    }

    QThread m_thread;
    Framing m_framing;
    qint64 m_bodyBytes;
    QAtomicInteger<qint64> m_sent = 0;
};

namespace {
// VmRSS (now) or VmHWM (the peak so far) of this process, in KiB.
qint64 residentKiB(const QByteArray &field = "VmRSS:")
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(field.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

QString closedPortEndpoint()
{
    return QStringLiteral("http://127.0.0.1:%1").arg(EtcdTestServer::freePort());
}
} // namespace

class TestEtcdClientFaults : public QObject {
    Q_OBJECT
private:
    EtcdTestServer m_etcd;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError())); }

    void refusedConnectionIsASentence()
    {
        const QString dead = closedPortEndpoint();
        EtcdClient c(options({dead}, 2000));
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Connection);
        QCOMPARE(r->error.message,
                 QStringLiteral("etcd at %1 refused the connection").arg(dead.mid(7)));
    }

    void failoverToLiveEndpoint()
    {
        EtcdClient c(options({closedPortEndpoint(), m_etcd.endpoint()}, 2000));
        auto r = wait([&](auto cb) { c.put("/t/failover", "ok", 0, this, cb); });
        QVERIFY(r);
        QVERIFY2(!r->error.isError(), qPrintable(r->error.message));
        QCOMPARE(r->endpoint, m_etcd.endpoint());
        QCOMPARE(c.currentEndpoint(), m_etcd.endpoint()); // remembered for the next request
    }

    void timeoutThenFailover()
    {
        FakeSilentEtcd silent;
        EtcdClient alone(options({silent.endpoint()}, 300));
        QElapsedTimer t;
        t.start();
        auto r = wait([&](auto cb) { alone.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Timeout);
        QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
        QVERIFY(r->error.message.contains(QLatin1String("did not answer within 300 ms")));

        EtcdClient both(options({silent.endpoint(), m_etcd.endpoint()}, 300));
        r = wait([&](auto cb) { both.range("/x", {}, this, cb); });
        QVERIFY(r);
        QVERIFY2(!r->error.isError(), qPrintable(r->error.message));
    }

    void headersWithoutAuth()
    {
        FakeSilentEtcd silent;
        EtcdClient c(options({silent.endpoint()}, 300));
        wait([&](auto cb) { c.range("/x", {}, this, cb); });
        const QByteArray req = silent.received.toLower();
        QVERIFY2(req.startsWith("post /v3/kv/range http/1.1"), req.constData());
        QVERIFY(req.contains("grpc-metadata-hasleader: true"));
        QVERIFY(!req.contains("authorization"));
    }

    void hugeReplyIsRefused_data()
    {
        QTest::addColumn<int>("framing");
        QTest::addColumn<qint64>("cap");
        QTest::addColumn<QString>("size");
        const auto cl = int(FakeHugeEtcd::Framing::ContentLength);
        const auto chunked = int(FakeHugeEtcd::Framing::Chunked);
        const auto close = int(FakeHugeEtcd::Framing::UntilClose);
        const qint64 byDefault = EtcdClientOptions().maxReplyBytes;
        QTest::newRow("Content-Length over the default cap") << cl << byDefault << "64 MiB";
        QTest::newRow("chunked over the default cap") << chunked << byDefault << "64 MiB";
        QTest::newRow("until close over the default cap") << close << byDefault << "64 MiB";
        QTest::newRow("chunked over a 100000-byte cap")
            << chunked << qint64(100000) << "100000 bytes";
    }

    void hugeReplyIsRefused()
    {
        QFETCH(int, framing);
        QFETCH(qint64, cap);
        QFETCH(QString, size);
        FakeHugeEtcd huge{FakeHugeEtcd::Framing(framing)};
        EtcdClientOptions o = options({huge.endpoint()}, 60000);
        o.maxReplyBytes = cap;
        EtcdClient c(o);
        // "5" resets the peak (VmHWM) to the current RSS, so each row sees its own peak.
        QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
        const bool peakReset = clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
        clearRefs.close();
        const qint64 before = residentKiB();
        auto r = wait([&](auto cb) { c.rangePrefix("/", this, cb); }, 60000);
        const qint64 peak = residentKiB("VmHWM:");
        QTest::qWait(500); // the reply goes, then the client hands its memory back
        const qint64 after = residentKiB();
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Protocol);
        QCOMPARE(r->error.message,
                 QStringLiteral("etcd at %1 sent a reply larger than %2; refusing it")
                     .arg(huge.endpoint().mid(7), size));
        QVERIFY(r->body.isEmpty());
        qInfo("%s: the fake sent %lld MiB; VmRSS %lld MiB before, peak %lld MiB (VmHWM%s), "
              "%lld MiB after",
              qPrintable(size), huge.bytesSent() / (1024 * 1024), before / 1024, peak / 1024,
              peakReset ? "" : ", not reset: the process's own peak", after / 1024);
        // The peak is printed, not asserted: against a peer this fast, Qt's network thread can
        // read far ahead of the client (up to the whole 400 MB of a chunked body) before the
        // abort lands. What the client keeps is asserted: unbounded, the body stayed (345 MB).
        Q_UNUSED(peakReset);
        QVERIFY2(after - before < cap / 1024 + 32 * 1024,
                 qPrintable(QStringLiteral("VmRSS kept %1 MiB").arg((after - before) / 1024)));

        // The client goes on: the next request to a sane etcd works.
        EtcdClient sane(options({m_etcd.endpoint()}, 3000));
        r = wait([&](auto cb) { sane.range("/x", {}, this, cb); });
        QVERIFY(r && !r->error.isError());
    }
};

QTEST_GUILESS_MAIN(TestEtcdClientFaults)
#include "tst_etcdclient_faults.moc"
