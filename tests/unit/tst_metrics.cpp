// The Prometheus exposition (Metrics), the agent's counters (AgentMetrics), the operator's
// routes (OpsEndpoints) and the -metrics server (MetricsServer) over a real socket.
#include "core/AgentMetrics.h"
#include "core/Metrics.h"
#include "feed/MetricsServer.h"
#include "feed/OpsEndpoints.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>

namespace {

// One request on a fresh connection; the whole answer (head and body) once it is complete.
// The server runs in this thread, so the waits spin the event loop.
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 2000))
        return {};
    socket.write(request);
    QByteArray answer;
    (void)QTest::qWaitFor(
        [&] {
            answer += socket.readAll();
            const int end = answer.indexOf("\r\n\r\n");
            if (end < 0)
                return false;
            const int at = answer.toLower().indexOf("content-length:");
            const int length =
                at < 0 ? 0
                       : answer.mid(at + 15, answer.indexOf('\r', at) - at - 15).trimmed().toInt();
            return answer.size() >= end + 4 + length;
        },
        3000);
    return answer;
}

int statusOf(const QByteArray &answer)
{
    return answer.mid(9, 3).toInt();
}

QByteArray bodyOf(const QByteArray &answer)
{
    return answer.mid(answer.indexOf("\r\n\r\n") + 4);
}

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { AgentMetrics::instance().reset(); }

    void histogramBuckets_data()
    {
        QTest::addColumn<QList<double>>("observed");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("empty") << QList<double>{}
                               << QByteArray("h_bucket{le=\"0.1\"} 0\nh_bucket{le=\"1\"} 0\n"
                                             "h_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
        QTest::newRow("on a bound counts in it")
            << QList<double>{0.1, 1}
            << QByteArray("h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\n"
                          "h_bucket{le=\"+Inf\"} 2\nh_sum 1.1\nh_count 2\n");
        QTest::newRow("above the last bound")
            << QList<double>{0.05, 7}
            << QByteArray("h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 1\n"
                          "h_bucket{le=\"+Inf\"} 2\nh_sum 7.05\nh_count 2\n");
    }
    void histogramBuckets()
    {
        QFETCH(QList<double>, observed);
        QFETCH(QByteArray, expected);
        Metrics::Histogram h({1, 0.1});
        for (double v : observed)
            h.observe(v);
        Metrics::Exposition out;
        out.histogram("h", "help", h);
        QCOMPARE(out.text(), "# HELP h help\n# TYPE h histogram\n" + expected);
    }

    void numbersAndLabels_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("integer") << 2.0 << QByteArray("2");
        QTest::newRow("fraction") << 0.25 << QByteArray("0.25");
        QTest::newRow("infinity") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    }
    void numbersAndLabels()
    {
        QFETCH(double, value);
        QFETCH(QByteArray, text);
        QCOMPARE(Metrics::Exposition::number(value), text);
        QCOMPARE(Metrics::Exposition::escapeLabel("a\"b\\c\nd"), QByteArray("a\\\"b\\\\c\\nd"));
    }

    void agentExposition()
    {
        AgentMetrics &m = AgentMetrics::instance();
        m.registrations.inc();
        m.registrations.inc();
        m.deregistered(AgentMetrics::Deregistration::Die);
        m.leaseGrants.inc();
        m.leaseGrants.inc();
        m.dockerConnected.set(1);
        m.eventAckSeconds.observe(0.02);
        const QByteArray text = m.exposition(QStringLiteral("1.2.3"));
        QVERIFY(text.contains("portolan_build_info{version=\"1.2.3\"} 1\n"));
        QVERIFY(text.contains("portolan_registrations_total 2\n"));
        QVERIFY(text.contains("portolan_deregistrations_total{reason=\"die\"} 1\n"));
        QVERIFY(text.contains("portolan_deregistrations_total{reason=\"sync\"} 0\n"));
        QVERIFY(text.contains("portolan_lease_regrants_total 1\n"));
        QVERIFY(text.contains("portolan_docker_connected 1\n"));
        QVERIFY(text.contains("portolan_event_ack_seconds_bucket{le=\"0.025\"} 1\n"));
        QVERIFY(text.contains("portolan_event_ack_seconds_count 1\n"));
        // Every sample belongs to a family announced by # HELP and # TYPE just before it.
        QByteArray family;
        for (const QByteArray &line : text.split('\n')) {
            if (line.isEmpty())
                continue;
            if (line.startsWith("# TYPE ")) {
                family = line.split(' ').value(2);
                continue;
            }
            if (line.startsWith('#'))
                continue;
            QVERIFY2(!family.isEmpty() && line.startsWith(family), line.constData());
        }
    }

    void promtoolAcceptsTheExposition()
    {
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        if (promtool.isEmpty())
            QSKIP("promtool (package prometheus) is not installed");
        AgentMetrics::instance().syncSeconds.observe(0.3);
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted());
        check.write(AgentMetrics::instance().exposition(QStringLiteral("0.1.0")));
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(10000));
        QVERIFY2(check.exitCode() == 0, check.readAll().constData());
    }

    void readiness()
    {
        AgentMetrics &m = AgentMetrics::instance();
        QCOMPARE(m.notReadyReason(), QStringLiteral("Docker is not connected; etcd is not "
                                                    "connected; the first sync with Docker is "
                                                    "not done"));
        m.dockerConnected.set(1);
        m.etcdConnected.set(1);
        QCOMPARE(m.notReadyReason(), QStringLiteral("the first sync with Docker is not done"));
        m.setSynced();
        QVERIFY(m.notReadyReason().isEmpty());
    }

    void opsEndpoints()
    {
        OpsEndpoints ops;
        ops.metrics = [] { return QByteArray("x 1\n"); };
        QString why = QStringLiteral("etcd is not connected");
        ops.notReadyReason = [&why] { return why; };
        QCOMPARE(ops.answer(QStringLiteral("/healthz"), false)->body, QByteArray("ok\n"));
        const auto notReady = ops.answer(QStringLiteral("/readyz"), false);
        QCOMPARE(notReady->status, 503);
        QCOMPARE(QJsonDocument::fromJson(notReady->body).object().value("reason").toString(), why);
        why.clear();
        QCOMPARE(ops.answer(QStringLiteral("/readyz"), false)->status, 200);
        QCOMPARE(ops.answer(QStringLiteral("/metrics"), false)->status, 401);
        const auto metrics = ops.answer(QStringLiteral("/metrics"), true);
        QCOMPARE(metrics->status, 200);
        QCOMPARE(metrics->contentType, QByteArray(Metrics::ContentType));
        QVERIFY(!ops.answer(QStringLiteral("/index.html"), true));
    }

    void metricsServer_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        const QByteArray host = "Host: 127.0.0.1\r\n";
        QTest::newRow("metrics with token")
            << "GET /metrics HTTP/1.1\r\n" + host + "Authorization: Bearer tok\r\n\r\n"
            << 200;
        QTest::newRow("metrics without token") << "GET /metrics HTTP/1.1\r\n" + host + "\r\n"
                                               << 401;
        QTest::newRow("metrics, wrong token")
            << "GET /metrics HTTP/1.1\r\n" + host + "Authorization: Bearer nope\r\n\r\n"
            << 401;
        QTest::newRow("healthz needs no token") << "GET /healthz HTTP/1.1\r\n" + host + "\r\n"
                                                << 200;
        QTest::newRow("readyz before sync") << "GET /readyz HTTP/1.1\r\n" + host + "\r\n" << 503;
        QTest::newRow("another path") << "GET /api/v1/hosts HTTP/1.1\r\n" + host + "\r\n" << 404;
        QTest::newRow("foreign Host")
            << QByteArray("GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n") << 403;
        QTest::newRow("POST") << "POST /metrics HTTP/1.1\r\n" + host + "Content-Length: 1\r\n\r\nx"
                              << 405;
        QTest::newRow("garbage") << QByteArray("GET /metrics HTTP/9.9\r\n\r\n") << 505;
    }
    void metricsServer()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        AgentMetrics::instance().registrations.inc();
        OpsEndpoints ops;
        ops.metrics = [] { return AgentMetrics::instance().exposition(QStringLiteral("t")); };
        ops.notReadyReason = [] { return AgentMetrics::instance().notReadyReason(); };
        MetricsServerOptions options;
        options.token = "tok";
        MetricsServer server(ops, options);
        QCOMPARE(server.listen(), QString());
        const QByteArray answer = exchange(server.serverPort(), request);
        QCOMPARE(statusOf(answer), status);
        if (status == 200 && request.contains("/metrics")) {
            QVERIFY(answer.contains("Content-Type: text/plain; version=0.0.4"));
            QVERIFY(bodyOf(answer).contains("portolan_registrations_total 1\n"));
        }
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
