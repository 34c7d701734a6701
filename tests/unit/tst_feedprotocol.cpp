// Feed protocol v1 (docs/feed.md): the shape of every server message and the handling of every
// kind of client frame.
#include "feed/FeedProtocol.h"
#include "records/Records.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>

using namespace FeedProtocol;

Q_DECLARE_METATYPE(QWebSocketProtocol::CloseCode)

namespace {

QStringList sortedKeys(const QJsonObject &object)
{
    QStringList keys = object.keys();
    keys.sort();
    return keys;
}

QStringList sorted(QStringList keys)
{
    keys.sort();
    return keys;
}

HostRecord sampleHost()
{
    HostRecord host;
    host.hostname = QStringLiteral("core-01");
    host.address = QStringLiteral("10.0.0.5");
    host.agentVersion = QStringLiteral("0.1.0");
    host.dockerVersion = QStringLiteral("20.10.24");
    host.feedUrl = QStringLiteral("http://10.0.0.5:8080/");
    host.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    return host;
}

ServiceRecord sampleService()
{
    ServiceRecord service;
    service.key = QStringLiteral("/portolan/services/core-01/core-01:redis.1:6379");
    service.id = QStringLiteral("core-01:redis.1:6379");
    service.name = QStringLiteral("redis");
    service.host = QStringLiteral("core-01");
    service.ip = QStringLiteral("10.0.0.5");
    service.port = 49153;
    service.protocol = QStringLiteral("tcp");
    service.tags = {QStringLiteral("db")};
    service.attributes = {{QStringLiteral("env"), QStringLiteral("prod")}};
    service.containerId = QStringLiteral("8f1c");
    service.containerName = QStringLiteral("redis.1");
    service.image = QStringLiteral("example/redis:latest");
    service.registryKey = QStringLiteral("/services/redis/core-01:redis.1:6379");
    service.registeredAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 1), Qt::UTC);
    return service;
}

BalancerRecord sampleBalancer()
{
    BalancerRecord balancer;
    balancer.name = QStringLiteral("lb-1");
    balancer.host = QStringLiteral("edge-01");
    balancer.driver = QStringLiteral("haproxy");
    balancer.driverVersion = QStringLiteral("2.6.12");
    balancer.version = QStringLiteral("0.1.0");
    balancer.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    balancer.lastApplyAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 2), Qt::UTC);
    balancer.lastApplyMethod = QStringLiteral("runtime");
    balancer.routes = {
        BalancerRoute{QStringLiteral("redis"), QStringLiteral("portolan_redis"), 2, 1}};
    return balancer;
}

ClusterEvent sampleEvent()
{
    ClusterEvent event;
    event.seq = 42;
    event.action = ClusterEvent::Action::Added;
    event.host = QStringLiteral("core-01");
    event.service = QStringLiteral("redis");
    event.serviceId = QStringLiteral("core-01:redis.1:6379");
    event.address = QStringLiteral("10.0.0.5:49153");
    event.revision = 1234;
    event.time = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 1, 123), Qt::UTC);
    return event;
}

const QStringList kHostKeys = sorted({"hostname", "address", "agentVersion", "dockerVersion",
                                      "feedUrl", "startedAt", "up", "goneAt"});
const QStringList kServiceKeys =
    sorted({"key", "id", "name", "host", "ip", "port", "address", "protocol", "tags", "attributes",
            "containerId", "containerName", "image", "registryKey", "registeredAt", "health"});
const QStringList kBalancerKeys =
    sorted({"name", "host", "driver", "driverVersion", "version", "startedAt", "lastApplyAt",
            "lastApplyMethod", "lastError", "lastErrorAt", "routes", "up"});
const QStringList kRouteKeys = sorted({"service", "backend", "servers", "ready"});
const QStringList kEventKeys =
    sorted({"seq", "action", "host", "service", "serviceId", "address", "revision", "time"});

} // namespace

class TestFeedProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void serverMessage_data();
    void serverMessage();
    void objectsMatchTheDocumentedShapes();
    void clientFrame_data();
    void clientFrame();
    void binaryFramesAreRefused();
    void randomFramesNeverCrashAndReasonsFitACloseFrame();
};

void TestFeedProtocol::serverMessage_data()
{
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QJsonObject>("values"); // fields whose values are fixed by the input

    const QJsonArray hosts{sampleHost().toJson()};
    const QJsonArray services{sampleService().toJson()};
    const QJsonArray events{sampleEvent().toJson()};
    const QJsonArray balancers{sampleBalancer().toJson()};

    QTest::newRow("hello") << helloMessage("0.1.0", "core-01") << "hello"
                           << sorted({"type", "protocol", "agent", "hostname"})
                           << QJsonObject{
                                  {"protocol", 1}, {"agent", "0.1.0"}, {"hostname", "core-01"}};
    const QStringList snapshotKeys =
        sorted({"type", "revision", "hosts", "services", "events", "balancers", "reason"});
    QTest::newRow("snapshot initial")
        << snapshotMessage(77, hosts, services, events, balancers, SnapshotReason::Initial)
        << "snapshot" << snapshotKeys
        << QJsonObject{{"revision", 77},       {"reason", "initial"}, {"hosts", hosts},
                       {"services", services}, {"events", events},    {"balancers", balancers}};
    QTest::newRow("snapshot resync")
        << snapshotMessage(78, {}, {}, {}, {}, SnapshotReason::Resync) << "snapshot" << snapshotKeys
        << QJsonObject{{"revision", 78},
                       {"reason", "resync"},
                       {"hosts", QJsonArray()},
                       {"balancers", QJsonArray()}};
    QTest::newRow("snapshot overflow")
        << snapshotMessage(79, {}, {}, {}, {}, SnapshotReason::Overflow) << "snapshot"
        << snapshotKeys << QJsonObject{{"reason", "overflow"}};
    QTest::newRow("balancer") << balancerMessage(sampleBalancer().toJson()) << "balancer"
                              << sorted({"type", "balancer"})
                              << QJsonObject{{"balancer", sampleBalancer().toJson()}};
    QTest::newRow("host") << hostMessage(sampleHost().toJson()) << "host"
                          << sorted({"type", "host"})
                          << QJsonObject{{"host", sampleHost().toJson()}};
    const QStringList serviceKeys = sorted({"type", "op", "service"});
    QTest::newRow("service added")
        << serviceMessage(ServiceOp::Added, sampleService().toJson()) << "service" << serviceKeys
        << QJsonObject{{"op", "added"}, {"service", sampleService().toJson()}};
    QTest::newRow("service changed") << serviceMessage(ServiceOp::Changed, sampleService().toJson())
                                     << "service" << serviceKeys << QJsonObject{{"op", "changed"}};
    QTest::newRow("service removed") << serviceMessage(ServiceOp::Removed, sampleService().toJson())
                                     << "service" << serviceKeys << QJsonObject{{"op", "removed"}};
    QTest::newRow("event") << eventMessage(sampleEvent().toJson()) << "event"
                           << sorted({"type", "event"})
                           << QJsonObject{{"event", sampleEvent().toJson()}};
    const QStringList statusKeys = sorted({"type", "status", "error"});
    QTest::newRow("status ready") << statusMessage(EtcdStatus::Ready, {}) << "status" << statusKeys
                                  << QJsonObject{{"status", "ready"}, {"error", QJsonValue()}};
    QTest::newRow("status error") << statusMessage(EtcdStatus::Error,
                                                   "etcd at 127.0.0.1:2379 refused the connection")
                                  << "status" << statusKeys
                                  << QJsonObject{{"status", "error"},
                                                 {"error",
                                                  "etcd at 127.0.0.1:2379 refused the connection"}};
    QTest::newRow("status connecting") << statusMessage(EtcdStatus::Connecting, {}) << "status"
                                       << statusKeys << QJsonObject{{"status", "connecting"}};
    QTest::newRow("status disconnected") << statusMessage(EtcdStatus::Disconnected, {}) << "status"
                                         << statusKeys << QJsonObject{{"status", "disconnected"}};
    QTest::newRow("pong") << pongMessage(7) << "pong" << sorted({"type", "id"})
                          << QJsonObject{{"id", 7}};
    QTest::newRow("pong fraction")
        << pongMessage(0.5) << "pong" << sorted({"type", "id"}) << QJsonObject{{"id", 0.5}};
}

void TestFeedProtocol::serverMessage()
{
    QFETCH(QByteArray, message);
    QFETCH(QString, type);
    QFETCH(QStringList, keys);
    QFETCH(QJsonObject, values);

    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(message, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(document.isObject());
    QCOMPARE(message, document.toJson(QJsonDocument::Compact)); // compact, one line
    const QJsonObject object = document.object();
    QCOMPARE(object.value("type").toString(), type);
    QCOMPARE(sortedKeys(object), keys);
    for (auto it = values.constBegin(); it != values.constEnd(); ++it)
        QCOMPARE(object.value(it.key()), it.value());
}

void TestFeedProtocol::objectsMatchTheDocumentedShapes()
{
    QCOMPARE(sortedKeys(sampleHost().toJson()), kHostKeys);
    QCOMPARE(sortedKeys(sampleService().toJson()), kServiceKeys);
    QCOMPARE(sortedKeys(sampleEvent().toJson()), kEventKeys);
    const QJsonObject balancer = sampleBalancer().toJson();
    QCOMPARE(sortedKeys(balancer), kBalancerKeys);
    QCOMPARE(sortedKeys(balancer.value("routes").toArray().at(0).toObject()), kRouteKeys);
    QCOMPARE(balancer.value("up").toBool(), true);
    QCOMPARE(balancer.value("lastApplyAt").toString(), QStringLiteral("2026-11-27T05:00:02.000Z"));
    const QJsonObject event = sampleEvent().toJson();
    QCOMPARE(event.value("time").toString(), QStringLiteral("2026-11-27T05:00:01.123Z"));
    QCOMPARE(event.value("action").toString(), QStringLiteral("added"));
    QCOMPARE(sampleService().toJson().value("address").toString(),
             QStringLiteral("10.0.0.5:49153"));
}

void TestFeedProtocol::clientFrame_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<int>("command"); // ClientCommand::Type when accepted
    QTest::addColumn<double>("id");
    QTest::addColumn<QWebSocketProtocol::CloseCode>("code");
    QTest::addColumn<QString>("reason"); // a part of the close reason

    using T = ClientCommand::Type;
    const auto ok = [](const char *name, const QByteArray &frame, T type, double id) {
        QTest::newRow(name) << frame << true << int(type) << id
                            << QWebSocketProtocol::CloseCodeNormal << QString();
    };
    const auto bad = [](const char *name, const QByteArray &frame,
                        QWebSocketProtocol::CloseCode code, const char *reason) {
        QTest::newRow(name) << frame << false << 0 << 0.0 << code << QString(reason);
    };
    const auto unsupported = QWebSocketProtocol::CloseCodeDatatypeNotSupported;

    ok("ping", R"({"type":"ping","id":1})", T::Ping, 1);
    ok("ping big id", R"({"type":"ping","id":1e15})", T::Ping, 1e15);
    ok("ping negative fraction", R"({"type":"ping","id":-2.5})", T::Ping, -2.5);
    ok("ping extra field", R"({"type":"ping","id":3,"x":[1,2]})", T::Ping, 3);
    ok("resync", R"({"type":"resync"})", T::Resync, 0);
    ok("resync whitespace", " {\n \"type\" : \"resync\" }\n", T::Resync, 0);
    ok("exactly 1 KiB",
       QByteArray(R"({"type":"resync","p":")") + QByteArray(1024 - 24, 'a') + "\"}", T::Resync, 0);

    bad("1 KiB + 1", QByteArray(R"({"type":"resync","p":")") + QByteArray(1025 - 24, 'a') + "\"}",
        QWebSocketProtocol::CloseCodeTooMuchData, "limit");
    bad("100 KiB", QByteArray(100 * 1024, ' '), QWebSocketProtocol::CloseCodeTooMuchData,
        "102400 bytes");
    bad("empty", "", unsupported, "invalid JSON");
    bad("not JSON", "hello", unsupported, "invalid JSON");
    bad("truncated", R"({"type":"ping","id":)", unsupported, "invalid JSON");
    bad("array", R"([{"type":"ping","id":1}])", unsupported, "one JSON object");
    bad("string", R"("ping")", unsupported, "invalid JSON");
    bad("no type", R"({"id":1})", unsupported, "\"type\" must be a string");
    bad("numeric type", R"({"type":5})", unsupported, "\"type\" must be a string");
    bad("null type", R"({"type":null})", unsupported, "\"type\" must be a string");
    bad("unknown type", R"({"type":"subscribe"})", unsupported, "unknown type \"subscribe\"");
    bad("write attempt", R"({"type":"put","key":"/x","value":"y"})", unsupported,
        "unknown type \"put\"");
    bad("case matters", R"({"type":"PING","id":1})", unsupported, "unknown type");
    bad("ping without id", R"({"type":"ping"})", unsupported, "numeric \"id\"");
    bad("ping string id", R"({"type":"ping","id":"1"})", unsupported, "numeric \"id\"");
    bad("ping null id", R"({"type":"ping","id":null})", unsupported, "numeric \"id\"");
    bad("two objects", R"({"type":"resync"}{"type":"resync"})", unsupported, "invalid JSON");
}

void TestFeedProtocol::clientFrame()
{
    QFETCH(QByteArray, frame);
    QFETCH(bool, accepted);
    QFETCH(int, command);
    QFETCH(double, id);
    QFETCH(QWebSocketProtocol::CloseCode, code);
    QFETCH(QString, reason);

    const ParsedFrame parsed = parseTextFrame(frame);
    if (accepted) {
        const auto *cmd = std::get_if<ClientCommand>(&parsed);
        if (!cmd)
            QFAIL(qPrintable(std::get<FrameError>(parsed).reason));
        QCOMPARE(int(cmd->type), command);
        QCOMPARE(cmd->id, id);
    } else {
        const auto *error = std::get_if<FrameError>(&parsed);
        QVERIFY(error);
        QCOMPARE(error->code, code);
        QVERIFY2(error->reason.contains(reason), qPrintable(error->reason));
        QVERIFY(error->reason.toUtf8().size() <= 123);
    }
}

void TestFeedProtocol::binaryFramesAreRefused()
{
    const FrameError error = binaryFrameError();
    QCOMPARE(error.code, QWebSocketProtocol::CloseCodeDatatypeNotSupported);
    QVERIFY(error.reason.contains("binary"));
}

void TestFeedProtocol::randomFramesNeverCrashAndReasonsFitACloseFrame()
{
    QRandomGenerator random(20261127);
    const QByteArray alphabet = R"({}[]":,. 0123456789eE-+truefalsnlpigyc\\u)";
    for (int i = 0; i < 20000; ++i) {
        QByteArray frame(int(random.bounded(64)), Qt::Uninitialized);
        for (char &c : frame) {
            c = random.bounded(4) == 0 ? char(random.bounded(256))
                                       : alphabet.at(random.bounded(alphabet.size()));
        }
        if (i % 3 == 0)
            frame = R"({"type":")" + frame + "\"}";
        const ParsedFrame parsed = parseTextFrame(frame);
        if (const auto *error = std::get_if<FrameError>(&parsed))
            QVERIFY2(error->reason.toUtf8().size() <= 123, frame.toHex().constData());
    }
    // The longest possible type is quoted back shortened.
    const QByteArray longType = R"({"type":")" + QByteArray(900, '\xe2') + "\"}";
    const ParsedFrame parsed =
        parseTextFrame(QString(300, QChar(0x20AC)).toUtf8().prepend(R"({"type":")") + "\"}");
    QVERIFY(std::get<FrameError>(parsed).reason.toUtf8().size() <= 123);
    QVERIFY(std::holds_alternative<FrameError>(parseTextFrame(longType)));
}

QTEST_GUILESS_MAIN(TestFeedProtocol)
#include "tst_feedprotocol.moc"
