#include "core/ServiceNotifier.h"

#include <QtTest>
#include <cstddef>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// systemd's side of Type=notify, for real: a unix datagram socket this test binds and names in
// NOTIFY_SOCKET, as the service manager does.
class NotifyListener {
public:
    // A path, or "@name" for an abstract socket.
    explicit NotifyListener(const QByteArray &name) : m_name(name)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
        const bool abstract = name.startsWith('@');
        if (abstract)
            address.sun_path[0] = '\0';
        const auto length =
            socklen_t(offsetof(sockaddr_un, sun_path) + size_t(name.size()) + (abstract ? 0 : 1));
        m_bound = ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), length) == 0;
        qputenv("NOTIFY_SOCKET", name);
    }
    ~NotifyListener()
    {
        ::close(m_fd);
        if (!m_name.startsWith('@'))
            ::unlink(m_name.constData());
        qunsetenv("NOTIFY_SOCKET");
    }
    bool isBound() const { return m_bound; }
    // Every datagram waiting now, after letting the event loop run for waitMs.
    QList<QByteArray> receive(int waitMs = 0)
    {
        if (waitMs > 0)
            QTest::qWait(waitMs);
        QList<QByteArray> messages;
        pollfd p{m_fd, POLLIN, 0};
        while (::poll(&p, 1, 0) == 1) {
            char buffer[4096];
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n < 0)
                break;
            messages.append(QByteArray(buffer, int(n)));
        }
        return messages;
    }

private:
    QByteArray m_name;
    int m_fd = -1;
    bool m_bound = false;
};

class tst_ServiceNotifier : public QObject {
    Q_OBJECT
private slots:
    void init()
    {
        qunsetenv("WATCHDOG_USEC");
        qunsetenv("WATCHDOG_PID");
    }

    void disabledWithoutNotifySocket()
    {
        qunsetenv("NOTIFY_SOCKET");
        ServiceNotifier notifier;
        QVERIFY(!notifier.isEnabled());
        notifier.ready(QStringLiteral("ignored")); // must not crash
        notifier.stopping();
    }

    void readyAndStopping_data()
    {
        QTest::addColumn<bool>("abstract");
        QTest::newRow("path") << false;
        QTest::newRow("abstract") << true;
    }
    void readyAndStopping()
    {
        QFETCH(bool, abstract);
        const QByteArray name =
            abstract ? "@portolan-tst-notify-" + QByteArray::number(::getpid())
                     : QFile::encodeName(m_dir.filePath(QStringLiteral("notify.sock")));
        NotifyListener systemd(name);
        QVERIFY(systemd.isBound());
        ServiceNotifier notifier;
        QVERIFY(notifier.isEnabled());
        QCOMPARE(notifier.watchdogInterval(), 0);

        notifier.ready(QStringLiteral("Synced 2 running containers"));
        QList<QByteArray> got = systemd.receive();
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first(), QByteArray("READY=1\nSTATUS=Synced 2 running containers"));

        notifier.stopping();
        got = systemd.receive();
        QCOMPARE(got.size(), 1);
        QVERIFY(got.first().split('\n').contains("STOPPING=1"));
    }

    // WATCHDOG_USEC=400 ms: a keep-alive every 200 ms, so about 7 in 1.5 s on an idle machine;
    // the bounds leave room for a loaded one.
    void watchdogAtHalfThePeriod()
    {
        NotifyListener systemd(QFile::encodeName(m_dir.filePath(QStringLiteral("wd.sock"))));
        QVERIFY(systemd.isBound());
        qputenv("WATCHDOG_USEC", "400000");
        qputenv("WATCHDOG_PID", QByteArray::number(::getpid()));
        ServiceNotifier notifier;
        QCOMPARE(notifier.watchdogInterval(), 200);
        const QList<QByteArray> got = systemd.receive(1500);
        QVERIFY2(got.size() >= 3 && got.size() <= 8, QByteArray::number(got.size()));
        for (const QByteArray &message : got)
            QCOMPARE(message, QByteArray("WATCHDOG=1"));
        notifier.stopping(); // ends the keep-alives
        systemd.receive();
        QVERIFY(systemd.receive(500).isEmpty());
    }

    void watchdogIsForTheMainProcessOnly()
    {
        NotifyListener systemd(QFile::encodeName(m_dir.filePath(QStringLiteral("pid.sock"))));
        qputenv("WATCHDOG_USEC", "100000");
        qputenv("WATCHDOG_PID", QByteArray::number(::getpid() + 1));
        ServiceNotifier notifier;
        QCOMPARE(notifier.watchdogInterval(), 0);
        QVERIFY(systemd.receive(300).isEmpty());
    }

    void tooLongPathIsLoggedNotFatal()
    {
        qputenv("NOTIFY_SOCKET", "/" + QByteArray(200, 'x'));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("longer than a unix socket")));
        ServiceNotifier notifier;
        QVERIFY(!notifier.isEnabled());
        notifier.ready(QStringLiteral("ignored"));
        qunsetenv("NOTIFY_SOCKET");
    }

    void sendFailureIsLoggedOnce()
    {
        qputenv("NOTIFY_SOCKET", QFile::encodeName(m_dir.filePath(QStringLiteral("nobody"))));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("cannot notify systemd at")));
        QTest::failOnWarning(QRegularExpression(QStringLiteral("cannot notify systemd at")));
        ServiceNotifier notifier;
        QVERIFY(notifier.isEnabled());
        notifier.ready(QStringLiteral("nobody listens"));
        notifier.stopping(); // a second failure: no second line (ignoreMessage would fail)
        qunsetenv("NOTIFY_SOCKET");
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(tst_ServiceNotifier)
#include "tst_servicenotifier.moc"
