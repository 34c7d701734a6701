// EtcdWatchStream against a real etcd: created, puts and deletes in order with prev_kv, a
// resume from a revision, a compacted start revision, a stream that ends when etcd stops, and
// close() silencing everything.
#include "EtcdTestServer.h"
#include "etcd/EtcdWatchStream.h"

#include <QSignalSpy>
#include <QTest>
#include <memory>

class tst_EtcdWatchStream : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void deliversEventsInOrder();
    void resumesFromARevision();
    void compactedStartIsCanceled();
    void closeSilencesTheStream();
    void endsWhenEtcdStops();

private:
    struct Rig {
        explicit Rig(const QString &endpoint)
            : client(EtcdClientOptions{{endpoint}, 5000, {}, {}, {}, {}, {}})
        {
        }
        EtcdClient client;
    };
    // Collects what a stream delivers.
    struct Recorder {
        QList<EtcdWatchMessage> messages;
        QString endedWith;
        bool garbage = false;
        explicit Recorder(EtcdWatchStream &stream)
        {
            QObject::connect(&stream, &EtcdWatchStream::message, &stream,
                             [this](const EtcdWatchMessage &m) { messages << m; });
            QObject::connect(&stream, &EtcdWatchStream::ended, &stream,
                             [this](const QString &why, bool g) {
                                 endedWith = why;
                                 garbage = g;
                             });
        }
        QList<EtcdWatchMessage::Event> events() const
        {
            QList<EtcdWatchMessage::Event> all;
            for (const EtcdWatchMessage &m : messages)
                all += m.events;
            return all;
        }
        bool created() const
        {
            return std::any_of(messages.begin(), messages.end(),
                               [](const EtcdWatchMessage &m) { return m.created; });
        }
    };
    qint64 revision()
    {
        QString out;
        m_etcd->etcdctl({"get", "/", "--prefix", "-w", "json", "--limit", "1"}, &out);
        const qsizetype at = out.indexOf(QLatin1String("\"revision\":"));
        return out.mid(at + 11).section(QLatin1Char(','), 0, 0).toLongLong();
    }
    int ctl(const QStringList &args) { return m_etcd->etcdctl(args); }
    std::unique_ptr<EtcdTestServer> m_etcd;
};

void tst_EtcdWatchStream::initTestCase()
{
    m_etcd = std::make_unique<EtcdTestServer>();
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
}

void tst_EtcdWatchStream::deliversEventsInOrder()
{
    Rig rig(m_etcd->endpoint());
    EtcdWatchStream stream(&rig.client, {"/order/", 0, true, false});
    Recorder seen(stream);
    stream.open();
    QTRY_VERIFY(seen.created());
    QCOMPARE(ctl({"put", "/order/a", "1"}), 0);
    QCOMPARE(ctl({"put", "/order/a", "2"}), 0);
    QCOMPARE(ctl({"put", "/orderx/outside", "x"}), 0);
    QCOMPARE(ctl({"del", "/order/a"}), 0);
    QTRY_COMPARE(seen.events().size(), 3);
    const auto events = seen.events();
    QCOMPARE(events[0].kv.value, QByteArray("1"));
    QCOMPARE(events[1].kv.value, QByteArray("2"));
    QCOMPARE(events[1].prevKv.value, QByteArray("1"));
    QVERIFY(events[2].isDelete);
    QCOMPARE(events[2].prevKv.value, QByteArray("2"));
    QVERIFY(events[0].kv.modRevision < events[1].kv.modRevision);
    QVERIFY(seen.endedWith.isEmpty());
}

void tst_EtcdWatchStream::resumesFromARevision()
{
    QCOMPARE(ctl({"put", "/resume/k", "old"}), 0);
    const qint64 from = revision() + 1;
    QCOMPARE(ctl({"put", "/resume/k", "new"}), 0);
    Rig rig(m_etcd->endpoint());
    EtcdWatchStream stream(&rig.client, {"/resume/", from, false, false});
    Recorder seen(stream);
    stream.open();
    // History from `from` on arrives, and nothing before it.
    QTRY_COMPARE(seen.events().size(), 1);
    QCOMPARE(seen.events().first().kv.value, QByteArray("new"));
    QCOMPARE(seen.events().first().kv.modRevision, from);
}

void tst_EtcdWatchStream::compactedStartIsCanceled()
{
    QCOMPARE(ctl({"put", "/compact/k", "1"}), 0);
    const qint64 old = revision();
    QCOMPARE(ctl({"put", "/compact/k", "2"}), 0);
    const qint64 head = revision();
    QCOMPARE(ctl({"compact", QString::number(head)}), 0);
    Rig rig(m_etcd->endpoint());
    EtcdWatchStream stream(&rig.client, {"/compact/", old, false, false});
    Recorder seen(stream);
    stream.open();
    QTRY_VERIFY(std::any_of(seen.messages.begin(), seen.messages.end(),
                            [](const EtcdWatchMessage &m) { return m.canceled; }));
    const auto canceled = std::find_if(seen.messages.begin(), seen.messages.end(),
                                       [](const EtcdWatchMessage &m) { return m.canceled; });
    QCOMPARE(canceled->compactRevision, head);
}

void tst_EtcdWatchStream::closeSilencesTheStream()
{
    Rig rig(m_etcd->endpoint());
    EtcdWatchStream stream(&rig.client, {"/close/", 0, false, false});
    Recorder seen(stream);
    // The owner closes from inside a message handler, as EtcdClusterSource does.
    connect(&stream, &EtcdWatchStream::message, this, [&stream](const EtcdWatchMessage &m) {
        if (!m.events.isEmpty())
            stream.close();
    });
    stream.open();
    QTRY_VERIFY(seen.created());
    QCOMPARE(ctl({"put", "/close/a", "1"}), 0);
    QTRY_VERIFY(!stream.isOpen());
    QCOMPARE(ctl({"put", "/close/a", "2"}), 0);
    QTest::qWait(300);
    QCOMPARE(seen.events().size(), 1);
    QVERIFY(seen.endedWith.isEmpty());
}

void tst_EtcdWatchStream::endsWhenEtcdStops()
{
    auto etcd = std::make_unique<EtcdTestServer>();
    QVERIFY2(etcd->start(), qPrintable(etcd->lastError()));
    Rig rig(etcd->endpoint());
    EtcdWatchStream stream(&rig.client, {"/stop/", 0, false, false});
    Recorder seen(stream);
    stream.open();
    QTRY_VERIFY(seen.created());
    etcd.reset(); // stops the process
    QTRY_VERIFY_WITH_TIMEOUT(!seen.endedWith.isEmpty(), 10000);
    qInfo("ended: %s", qPrintable(seen.endedWith));
    QVERIFY(seen.endedWith.startsWith(QLatin1String("etcd at 127.0.0.1:")));
    QVERIFY(!seen.garbage);
    QVERIFY(!stream.isOpen());
}

QTEST_GUILESS_MAIN(tst_EtcdWatchStream)
#include "tst_etcdwatchstream.moc"
