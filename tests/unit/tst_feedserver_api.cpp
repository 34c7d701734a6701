// FeedServer's JSON API on 127.0.0.1: the endpoints, and the key tree and key values through
// providers, from a stub and from a real etcd, limited to the feed's scope.
#include "EtcdTestServer.h"
#include "FeedServerTestSupport.h"
#include "cluster/KeyTree.h"
#include "etcd/EtcdClient.h"

#include <QJsonArray>
#include <QTest>
#include <QTimer>

class TestFeedServerApi : public FeedServerTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedServerTestCase::init(); }
    void cleanup() { FeedServerTestCase::cleanup(); }
    void jsonEndpoints_data();
    void jsonEndpoints();
    void treeAndKeyGoThroughProviders();
    void treeAndKeyFromARealEtcd();
    void keysOutsideTheScopeAreRefused();

private:
    // Puts each key (a host record as its value) into a real etcd and waits for all of them.
    void putAll(EtcdClient &client, const QList<QByteArray> &keys);
};

void TestFeedServerApi::jsonEndpoints_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("listField");
    QTest::addColumn<int>("listSize");

    QTest::newRow("snapshot") << "/api/v1/snapshot" << 200 << "services" << 2;
    QTest::newRow("hosts") << "/api/v1/hosts" << 200 << "hosts" << 1;
    QTest::newRow("services") << "/api/v1/services" << 200 << "services" << 2;
    QTest::newRow("services by host") << "/api/v1/services?host=core-01" << 200 << "services" << 2;
    QTest::newRow("services other host") << "/api/v1/services?host=x" << 200 << "services" << 0;
    QTest::newRow("services by name") << "/api/v1/services?name=nginx" << 200 << "services" << 1;
    QTest::newRow("events") << "/api/v1/events" << 200 << "events" << 3;
    QTest::newRow("events after 2") << "/api/v1/events?after=2" << 200 << "events" << 1;
    QTest::newRow("events after all") << "/api/v1/events?after=99" << 200 << "events" << 0;
    QTest::newRow("events bad after") << "/api/v1/events?after=x" << 400 << "" << 0;
    QTest::newRow("unknown endpoint") << "/api/v1/nope" << 404 << "" << 0;
    QTest::newRow("tree without provider") << "/api/v1/tree?prefix=/portolan/" << 503 << "" << 0;
    QTest::newRow("tree limit 0") << "/api/v1/tree?limit=0" << 400 << "" << 0;
    QTest::newRow("tree limit 1001") << "/api/v1/tree?limit=1001" << 400 << "" << 0;
    QTest::newRow("key missing") << "/api/v1/key" << 400 << "" << 0;
}

void TestFeedServerApi::jsonEndpoints()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QString, listField);
    QFETCH(int, listSize);

    start();
    const HttpResult result = request("GET", path);
    QCOMPARE(result.status, status);
    QCOMPARE(result.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(result.headers.value("cache-control"), QByteArray("no-store"));
    if (status != 200) {
        QVERIFY(!result.json.value("error").toString().isEmpty());
        return;
    }
    QCOMPARE(result.json.value("revision").toInteger(), 12);
    QCOMPARE(result.json.value(listField).toArray().size(), listSize);
    if (path == QLatin1String("/api/v1/snapshot")) {
        QCOMPARE(result.json.value("protocol").toInt(), 1);
        QCOMPARE(result.json.value("hosts").toArray().size(), 1);
        QCOMPARE(result.json.value("events").toArray().size(), 3);
    }
    if (path.contains("name=nginx")) {
        const QJsonObject service = result.json.value("services").toArray().first().toObject();
        QCOMPARE(service.value("address").toString(), QStringLiteral("10.0.0.5:49154"));
        QCOMPARE(service.value("registryKey").toString(),
                 QStringLiteral("/services/nginx/core-01:nginx.1:6379"));
    }
}

void TestFeedServerApi::treeAndKeyGoThroughProviders()
{
    start();
    KeyTreeQuery asked;
    // A stub provider standing in for the etcd key browser; it answers on a later turn of the
    // event loop, as the real one does.
    m_server->setKeyTreeProvider([&asked](const KeyTreeQuery &query, FeedReplyCallback reply) {
        asked = query;
        QTimer::singleShot(10, [query, reply] {
            reply(
                {200,
                 {{"prefix", query.prefix},
                  {"revision", 12},
                  {"children", QJsonArray{QJsonObject{
                                   {"name", "hosts"}, {"key", "/portolan/hosts/"}, {"dir", true}}}},
                  {"more", false},
                  {"next", QJsonValue()}}});
        });
    });
    m_server->setKeyValueProvider([](const QString &key, FeedReplyCallback reply) {
        if (key != QLatin1String("/portolan/hosts/core-01"))
            return reply(FeedReply::error(404, QStringLiteral("no such key")));
        reply({200, {{"key", key}, {"value", QString::fromUtf8(hostValue("core-01"))}}});
    });

    HttpResult tree = request("GET", "/api/v1/tree?prefix=/portolan/&limit=50&after=/portolan/a");
    QCOMPARE(tree.status, 200);
    QCOMPARE(asked.prefix, QStringLiteral("/portolan/"));
    QCOMPARE(asked.limit, 50);
    QCOMPARE(asked.after, QStringLiteral("/portolan/a"));
    QCOMPARE(tree.json.value("children").toArray().first().toObject().value("name").toString(),
             QStringLiteral("hosts"));
    tree = request("GET", "/api/v1/tree?prefix=%2Fportolan%2Fservices%2F");
    QCOMPARE(tree.status, 200);
    QCOMPARE(asked.prefix, QStringLiteral("/portolan/services/"));
    QCOMPARE(asked.limit, 100);

    HttpResult key = request("GET", "/api/v1/key?key=/portolan/hosts/core-01");
    QCOMPARE(key.status, 200);
    QCOMPARE(key.json.value("key").toString(), QStringLiteral("/portolan/hosts/core-01"));
    key = request("GET", "/api/v1/key?key=/nope");
    QCOMPARE(key.status, 404);
}

void TestFeedServerApi::treeAndKeyFromARealEtcd()
{
    EtcdTestServer etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
    EtcdClient client(EtcdClientOptions{{etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    putAll(client, {"/portolan/hosts/core-01", "/portolan/services/core-01/a",
                    "/portolan/services/core-01/b", "/portolan/x"});
    start();
    KeyTree tree(&client);
    m_server->setKeyTreeProvider(FeedApi::keyTreeProvider(&tree, m_server.get()));
    m_server->setKeyValueProvider(FeedApi::keyValueProvider(&tree, m_server.get()));

    const HttpResult page = request("GET", "/api/v1/tree?prefix=/portolan/");
    QCOMPARE(page.status, 200);
    QCOMPARE(page.json.value("prefix").toString(), QStringLiteral("/portolan/"));
    QStringList names;
    for (const QJsonValue &child : page.json.value("children").toArray())
        names << child.toObject().value("name").toString();
    QCOMPARE(names, QStringList({"hosts", "services", "x"}));
    const HttpResult key = request("GET", "/api/v1/key?key=/portolan/x");
    QCOMPARE(key.status, 200);
    QCOMPARE(key.json.value("key").toString(), QStringLiteral("/portolan/x"));
    QCOMPARE(request("GET", "/api/v1/key?key=/portolan/none").status, 404);
    etcd.stop();
    const int down = request("GET", "/api/v1/tree?prefix=/portolan/").status;
    QVERIFY2(down == 502 || down == 504, qPrintable(QString::number(down)));
}

void TestFeedServerApi::keysOutsideTheScopeAreRefused()
{
    EtcdTestServer etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
    EtcdClient client(EtcdClientOptions{{etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    putAll(client, {"/portolan/hosts/core-01", "/reg/services/redis/core-01:a:6379",
                    "/app/config/db_password", "/regular"});
    start();
    KeyTree tree(&client);
    const KeyScope scope{{QStringLiteral("/reg/services/"), QStringLiteral("/portolan/")}};
    m_server->setKeyTreeProvider(
        FeedApi::keyTreeProvider(&tree, m_server.get(), scope, m_state.get()));
    m_server->setKeyValueProvider(FeedApi::keyValueProvider(&tree, m_server.get(), scope));
    const auto names = [](const HttpResult &page) {
        QStringList list;
        for (const QJsonValue &child : page.json.value("children").toArray())
            list << child.toObject().value("key").toString();
        return list;
    };

    // The root lists only the way to the two subtrees, not /app/ or /regular.
    const HttpResult root = request("GET", "/api/v1/tree?prefix=/");
    QCOMPARE(root.status, 200);
    QCOMPARE(names(root), QStringList({"/portolan/", "/reg/"}));
    QCOMPARE(root.json.value("revision").toInteger(), m_state->revision());
    QCOMPARE(names(request("GET", "/api/v1/tree?prefix=/reg/")), QStringList({"/reg/services/"}));
    QCOMPARE(names(request("GET", "/api/v1/tree?prefix=/reg/services/")),
             QStringList({"/reg/services/redis/"}));
    QCOMPARE(request("GET", "/api/v1/key?key=/portolan/hosts/core-01").status, 200);

    // Outside: 403 with a sentence, whatever etcd holds there.
    for (const QString &path :
         {QStringLiteral("/api/v1/key?key=/app/config/db_password"),
          QStringLiteral("/api/v1/key?key=/regular"), QStringLiteral("/api/v1/tree?prefix=/app/"),
          QStringLiteral("/api/v1/key?key=/reg/servicesX"),
          QStringLiteral("/api/v1/key?key=/portolan")}) {
        const HttpResult refused = request("GET", path);
        QVERIFY2(refused.status == 403, qPrintable(path));
        QVERIFY(refused.json.value("error").toString().contains(
            QStringLiteral("outside what this feed shows: keys under /reg/services/ and "
                           "/portolan/")));
    }
}

void TestFeedServerApi::putAll(EtcdClient &client, const QList<QByteArray> &keys)
{
    int stored = 0;
    for (const QByteArray &key : keys)
        client.put(key, hostValue("core-01"), 0, this,
                   [&stored](const EtcdResponse &) { ++stored; });
    QTRY_COMPARE(stored, keys.size());
}

QTEST_GUILESS_MAIN(TestFeedServerApi)
#include "tst_feedserver_api.moc"
