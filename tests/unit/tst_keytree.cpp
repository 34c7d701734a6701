// KeyTree against a real etcd holding 20k keys: pages, directories, paging with `next`, leaf
// sizes, single keys, and how long listing takes.
#include "EtcdTestServer.h"
#include "cluster/KeyTree.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

namespace {
constexpr int Dirs = 100;
constexpr int KeysPerDir = 200;

QStringList names(const KeyTreePage &page)
{
    QStringList out;
    for (const KeyTreeEntry &e : page.children)
        out << e.name + (e.dir ? QStringLiteral("/") : QString());
    return out;
}

QByteArray dirKey(int d)
{
    return "/big/dir" + QByteArray::number(d).rightJustified(3, '0') + '/';
}
} // namespace

class tst_KeyTree : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void startAfter_data();
    void startAfter();
    void pages_data();
    void pages();
    void pagesThroughAllDirectories();
    void listsTheRootQuickly();
    void leafSizes();
    void getsOneKey();
    void reportsErrors();

private:
    KeyTreePage list(const QByteArray &prefix, const QByteArray &after, int limit)
    {
        KeyTreePage result;
        bool done = false;
        m_tree->list(prefix, after, limit, this, [&](const KeyTreePage &p) {
            result = p;
            done = true;
        });
        if (!QTest::qWaitFor([&] { return done; }, 20000))
            qWarning("listing %s did not finish", prefix.constData());
        return result;
    }

    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_client;
    std::unique_ptr<KeyTree> m_tree;
};

void tst_KeyTree::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
    m_client = std::make_unique<EtcdClient>(
        EtcdClientOptions{{m_etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    m_tree = std::make_unique<KeyTree>(m_client.get());

    // 20k keys in 100-put transactions, eight in flight at a time.
    QList<QJsonArray> batches(1);
    auto add = [&](const QByteArray &key, const QByteArray &value) {
        if (batches.last().size() == 100)
            batches.append(QJsonArray());
        batches.last().append(EtcdClient::putOp(key, value));
    };
    for (int d = 0; d < Dirs; ++d) {
        for (int k = 0; k < KeysPerDir; ++k)
            add(dirKey(d) + 'k' + QByteArray::number(k).rightJustified(3, '0'), "value");
    }
    add("/big/dir000/sub/x", "deep");
    add("/big/", "the prefix itself");
    add("/big/leaf-a", "hello");
    add("/big/leaf-b", QByteArray(1000, 'b'));
    add("/portolan/hosts/h1", "{}");

    QElapsedTimer t;
    t.start();
    int next = 0, pending = 0, failed = 0;
    std::function<void()> pump = [&] {
        while (pending < 8 && next < batches.size()) {
            ++pending;
            m_client->txn({{"success", batches.at(next++)}}, this, [&](const EtcdResponse &r) {
                --pending;
                failed += r.error.isError();
                pump();
            });
        }
    };
    pump();
    QVERIFY(QTest::qWaitFor([&] { return pending == 0 && next == batches.size(); }, 60000));
    QCOMPARE(failed, 0);
    qInfo("loaded %d keys in %d transactions in %lld ms", Dirs * KeysPerDir + 5,
          int(batches.size()), t.elapsed());
}

void tst_KeyTree::startAfter_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<QByteArray>("start");
    QTest::newRow("first page") << QByteArray("/a/") << QByteArray() << QByteArray("/a/");
    QTest::newRow("whole keyspace") << QByteArray() << QByteArray() << QByteArray(1, '\0');
    QTest::newRow("after a leaf") << QByteArray("/a/") << QByteArray("/a/x")
                                  << QByteArray("/a/x\0", 5);
    QTest::newRow("after a directory: skip its subtree")
        << QByteArray("/a/") << QByteArray("/a/d/") << QByteArray("/a/d0");
    QTest::newRow("after before the prefix")
        << QByteArray("/b/") << QByteArray("/a") << QByteArray("/b/");
}

void tst_KeyTree::startAfter()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, after);
    QFETCH(QByteArray, start);
    QCOMPARE(KeyTree::startAfter(prefix, after), start);
}

void tst_KeyTree::pages_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<int>("limit");
    QTest::addColumn<QStringList>("children");
    QTest::addColumn<bool>("more");
    QTest::addColumn<QByteArray>("next");

    QTest::newRow("whole keyspace: one directory, \"/\"")
        << QByteArray() << QByteArray() << 10 << QStringList{"/"} << false << QByteArray();
    QTest::newRow("root") << QByteArray("/") << QByteArray() << 10
                          << QStringList{"big/", "portolan/"} << false << QByteArray();
    QTest::newRow("first page of dirs")
        << QByteArray("/big/") << QByteArray() << 3 << QStringList{"dir000/", "dir001/", "dir002/"}
        << true << QByteArray("/big/dir002/");
    QTest::newRow("after a dir") << QByteArray("/big/") << QByteArray("/big/dir002/") << 2
                                 << QStringList{"dir003/", "dir004/"} << true
                                 << QByteArray("/big/dir004/");
    QTest::newRow("last dirs, then leaves")
        << QByteArray("/big/") << QByteArray("/big/dir098/") << 10
        << QStringList{"dir099/", "leaf-a", "leaf-b"} << false << QByteArray();
    QTest::newRow("exactly the rest")
        << QByteArray("/big/") << QByteArray("/big/dir098/") << 3
        << QStringList{"dir099/", "leaf-a", "leaf-b"} << false << QByteArray();
    QTest::newRow("leaves of a dir")
        << QByteArray("/big/dir007/") << QByteArray() << 3 << QStringList{"k000", "k001", "k002"}
        << true << QByteArray("/big/dir007/k002");
    QTest::newRow("leaves then a subdir")
        << QByteArray("/big/dir000/") << QByteArray("/big/dir000/k198") << 5
        << QStringList{"k199", "sub/"} << false << QByteArray();
    QTest::newRow("limit 0 means 1")
        << QByteArray("/big/") << QByteArray() << 0 << QStringList{"dir000/"} << true
        << QByteArray("/big/dir000/");
    QTest::newRow("nothing there")
        << QByteArray("/nothing/") << QByteArray() << 10 << QStringList{} << false << QByteArray();
}

void tst_KeyTree::pages()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, after);
    QFETCH(int, limit);
    QFETCH(QStringList, children);
    QFETCH(bool, more);
    QFETCH(QByteArray, next);
    const KeyTreePage page = list(prefix, after, limit);
    QVERIFY2(!page.error.isError(), qPrintable(page.error.message));
    QCOMPARE(names(page), children);
    QCOMPARE(page.more, more);
    QCOMPARE(page.next, next);
    QVERIFY(page.revision > 0);
    QCOMPARE(page.prefix, prefix);
    for (const KeyTreeEntry &e : page.children)
        QCOMPARE(e.key, prefix + e.name.toUtf8() + (e.dir ? "/" : ""));
}

void tst_KeyTree::pagesThroughAllDirectories()
{
    QStringList all;
    QByteArray after;
    int pages = 0, requests = 0;
    QElapsedTimer t;
    t.start();
    for (;;) {
        const KeyTreePage page = list("/big/", after, 30);
        QVERIFY2(!page.error.isError(), qPrintable(page.error.message));
        all += names(page);
        ++pages;
        requests += page.requests;
        if (!page.more)
            break;
        after = page.next;
        QVERIFY(pages < 10);
    }
    qInfo("/big/: %d children in %d pages of 30, %d etcd requests, %lld ms", int(all.size()), pages,
          requests, t.elapsed());
    QCOMPARE(all.size(), Dirs + 2);
    QCOMPARE(pages, 4);
    QCOMPARE(all.first(), "dir000/");
    QCOMPARE(all.at(Dirs - 1), "dir099/");
    QCOMPARE(all.mid(Dirs), (QStringList{"leaf-a", "leaf-b"}));
    // About one request per directory; never anything like a read of the 20k keys.
    // (A few more when a guessed sibling window misses, as after dir009/.)
    QVERIFY2(requests <= Dirs + Dirs / 5 + 2 * pages, qPrintable(QString::number(requests)));

    // A single directory with 200 keys pages the same way.
    QStringList leaves;
    after.clear();
    for (pages = 0; pages < 10; ++pages) {
        const KeyTreePage page = list("/big/dir042/", after, 64);
        leaves += names(page);
        if (!page.more)
            break;
        after = page.next;
    }
    QCOMPARE(leaves.size(), KeysPerDir);
    QCOMPARE(leaves.last(), "k199");
}

void tst_KeyTree::listsTheRootQuickly()
{
    QElapsedTimer t;
    t.start();
    const KeyTreePage root = list("/", {}, KeyTree::DefaultLimit);
    const qint64 rootMs = t.elapsed();
    t.restart();
    const KeyTreePage big = list("/big/", {}, KeyTree::DefaultLimit);
    const qint64 bigMs = t.elapsed();
    QVERIFY(!root.error.isError() && !big.error.isError());
    qInfo("%d keys: listing \"/\" took %lld ms (%d requests); \"/big/\" (100 of 102 children) "
          "took %lld ms (%d requests)",
          Dirs * KeysPerDir + 5, rootMs, root.requests, bigMs, big.requests);
    QVERIFY(root.requests <= 3); // "big/", a missed guess ("bi*"), a jump to "portolan/"
    QCOMPARE(big.children.size(), 100);
    QVERIFY(big.more);
    QVERIFY(bigMs < 10000);

    // For scale: one request of one key, through the same client.
    t.restart();
    for (int i = 0; i < 10; ++i) {
        bool done = false;
        m_tree->get("/big/leaf-a", this, [&](const KeyTreeValue &) { done = true; });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 5000));
    }
    qInfo("one small request takes %.1f ms on average here", t.elapsed() / 10.0);
}

void tst_KeyTree::leafSizes()
{
    KeyTreePage page = list("/big/", "/big/dir099/", 10);
    QCOMPARE(names(page), (QStringList{"leaf-a", "leaf-b"}));
    QCOMPARE(page.children.at(0).size, 5);
    QCOMPARE(page.children.at(1).size, 1000);
    const QJsonObject json = page.toJson();
    QCOMPARE(json.value("prefix").toString(), "/big/");
    QCOMPARE(json.value("more").toBool(), false);
    QVERIFY(!json.contains("next"));
    QCOMPARE(
        json.value("children").toArray().at(0).toObject(),
        (QJsonObject{{"name", "leaf-a"}, {"key", "/big/leaf-a"}, {"dir", false}, {"size", 5}}));

    m_tree->setLeafSizes(false);
    page = list("/big/", "/big/dir099/", 10);
    m_tree->setLeafSizes(true);
    QCOMPARE(page.children.at(0).size, -1);
    QVERIFY(!page.children.at(0).toJson().contains("size"));
    QCOMPARE(list("/", {}, 10).toJson().value("children").toArray().at(0).toObject(),
             (QJsonObject{{"name", "big"}, {"key", "/big/"}, {"dir", true}}));
}

void tst_KeyTree::getsOneKey()
{
    KeyTreeValue value;
    bool done = false;
    m_tree->get("/big/leaf-a", this, [&](const KeyTreeValue &v) {
        value = v;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY(value.found);
    QCOMPARE(value.kv.value, "hello");
    QVERIFY(value.kv.modRevision > 0);
    QCOMPARE(value.kv.version, 1);
    const QJsonObject json = value.toJson();
    QCOMPARE(json.keys(),
             (QStringList{"createRevision", "key", "lease", "modRevision", "value", "version"}));
    QCOMPARE(json.value("key").toString(), "/big/leaf-a");

    done = false;
    m_tree->get("/big/missing", this, [&](const KeyTreeValue &v) {
        value = v;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY(!value.found);
    QVERIFY(!value.error.isError());
    QCOMPARE(value.kv.key, "/big/missing");
}

void tst_KeyTree::reportsErrors()
{
    EtcdClient nowhere(
        EtcdClientOptions{{QStringLiteral("http://127.0.0.1:%1").arg(EtcdTestServer::freePort())},
                          2000,
                          {},
                          {},
                          {},
                          {},
                          {}});
    KeyTree tree(&nowhere);
    KeyTreePage page;
    bool done = false;
    tree.list("/", {}, 10, this, [&](const KeyTreePage &p) {
        page = p;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY(page.error.isError());
    QVERIFY2(page.error.message.contains("refused"), qPrintable(page.error.message));

    // A destroyed context drops the callback.
    auto *context = new QObject;
    bool called = false;
    tree.list("/", {}, 10, context, [&](const KeyTreePage &) { called = true; });
    delete context;
    QTest::qWait(300);
    QVERIFY(!called);
}

QTEST_GUILESS_MAIN(tst_KeyTree)
#include "tst_keytree.moc"
