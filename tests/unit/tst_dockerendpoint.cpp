#include "docker/DockerEndpoint.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

class TestDockerEndpoint : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void parses_data();
    void parses();
    void rejects_data();
    void rejects();
    void fromEnvironment();

private:
    QTemporaryDir m_certs;     // ca.pem, cert.pem, key.pem
    QTemporaryDir m_caOnly;    // ca.pem
    QTemporaryDir m_certNoKey; // ca.pem, cert.pem
};

static void touch(const QString &dir, const char *name)
{
    QFile f(QDir(dir).filePath(QLatin1String(name)));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
}

void TestDockerEndpoint::initTestCase()
{
    for (const char *n : {"ca.pem", "cert.pem", "key.pem"})
        touch(m_certs.path(), n);
    touch(m_caOnly.path(), "ca.pem");
    touch(m_certNoKey.path(), "ca.pem");
    touch(m_certNoKey.path(), "cert.pem");
}

void TestDockerEndpoint::parses_data()
{
    QTest::addColumn<QString>("dockerHost");
    QTest::addColumn<bool>("tlsVerify");
    QTest::addColumn<QString>("certPath");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("socketPath");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<QString>("describe");
    const int unix_ = int(DockerEndpoint::Kind::Unix);
    const int tcp = int(DockerEndpoint::Kind::Tcp);

    QTest::newRow("unset is the default socket")
        << "" << false << "" << unix_ << "/var/run/docker.sock"
        << "" << 2375 << false << "unix:///var/run/docker.sock";
    QTest::newRow("unix path") << "unix:///tmp/d/docker.sock" << false << "" << unix_
                               << "/tmp/d/docker.sock"
                               << "" << 2375 << false << "unix:///tmp/d/docker.sock";
    QTest::newRow("unix path cleaned")
        << "  unix:///run//docker.sock " << false << "" << unix_ << "/run/docker.sock"
        << "" << 2375 << false << "unix:///run/docker.sock";
    QTest::newRow("unix ignores tls")
        << "unix:///run/docker.sock" << true << "" << unix_ << "/run/docker.sock"
        << "" << 2375 << false << "unix:///run/docker.sock";
    QTest::newRow("tcp with port")
        << "tcp://127.0.0.1:2375" << false << "" << tcp << "/var/run/docker.sock"
        << "127.0.0.1" << 2375 << false << "tcp://127.0.0.1:2375";
    QTest::newRow("tcp default port")
        << "tcp://localhost" << false << "" << tcp << "/var/run/docker.sock"
        << "localhost" << 2375 << false << "tcp://localhost:2375";
    QTest::newRow("tcp trailing slash")
        << "tcp://127.0.0.1:12345/" << false << "" << tcp << "/var/run/docker.sock"
        << "127.0.0.1" << 12345 << false << "tcp://127.0.0.1:12345";
    QTest::newRow("tcp ipv6") << "tcp://[::1]:2375" << false << "" << tcp << "/var/run/docker.sock"
                              << "::1" << 2375 << false << "tcp://[::1]:2375";
    QTest::newRow("tls default port")
        << "tcp://127.0.0.1" << true << m_certs.path() << tcp << "/var/run/docker.sock"
        << "127.0.0.1" << 2376 << true << "tcp://127.0.0.1:2376 (TLS)";
    QTest::newRow("tls ca only") << "tcp://127.0.0.1:2376" << true << m_caOnly.path() << tcp
                                 << "/var/run/docker.sock"
                                 << "127.0.0.1" << 2376 << true << "tcp://127.0.0.1:2376 (TLS)";
}

void TestDockerEndpoint::parses()
{
    QFETCH(QString, dockerHost);
    QFETCH(bool, tlsVerify);
    QFETCH(QString, certPath);
    QFETCH(int, kind);
    QFETCH(QString, socketPath);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(bool, tls);
    QFETCH(QString, describe);
    DockerEndpoint e;
    QString error;
    QVERIFY2(DockerEndpoint::parse(dockerHost, tlsVerify, certPath, &e, &error), qPrintable(error));
    QVERIFY(error.isEmpty());
    QCOMPARE(int(e.kind), kind);
    QCOMPARE(e.socketPath, socketPath);
    QCOMPARE(e.host, host);
    QCOMPARE(int(e.port), port);
    QCOMPARE(e.tls, tls);
    QCOMPARE(e.tlsVerify, tls);
    if (tls)
        QCOMPARE(e.certPath, certPath);
    QCOMPARE(e.describe(), describe);
}

void TestDockerEndpoint::rejects_data()
{
    QTest::addColumn<QString>("dockerHost");
    QTest::addColumn<bool>("tlsVerify");
    QTest::addColumn<QString>("certPath");
    QTest::addColumn<QString>("error");
    QTest::newRow("unix without path") << "unix://" << false << ""
                                       << "names no socket path";
    QTest::newRow("unix relative") << "unix://docker.sock" << false << ""
                                   << "absolute socket path";
    QTest::newRow("ssh") << "ssh://me@host" << false << ""
                         << "scheme ssh://";
    QTest::newRow("npipe") << "npipe:////./pipe/docker_engine" << false << ""
                           << "scheme npipe://";
    QTest::newRow("http") << "http://127.0.0.1:2375" << false << ""
                          << "scheme http://";
    QTest::newRow("bare path") << "/var/run/docker.sock" << false << ""
                               << "neither unix:///path nor tcp://host:port";
    QTest::newRow("bare host") << "127.0.0.1:2375" << false << ""
                               << "neither";
    QTest::newRow("tcp without host") << "tcp://:2375" << false << ""
                                      << "not a valid";
    QTest::newRow("tcp bad port") << "tcp://127.0.0.1:99999" << false << ""
                                  << "not a valid";
    QTest::newRow("tcp port words") << "tcp://127.0.0.1:abc" << false << ""
                                    << "not a valid";
    QTest::newRow("tcp port 0") << "tcp://127.0.0.1:0" << false << ""
                                << "port 0";
    QTest::newRow("tcp with path") << "tcp://127.0.0.1:2375/v1.41" << false << ""
                                   << "without a path";
    QTest::newRow("tcp with user") << "tcp://me@127.0.0.1:2375" << false << ""
                                   << "without a path";
    QTest::newRow("tls without ca") << "tcp://127.0.0.1:2376" << true << QDir::tempPath() + "/nope"
                                    << "no readable ca.pem";
    QTest::newRow("tls cert without key")
        << "tcp://127.0.0.1:2376" << true << m_certNoKey.path() << "has cert.pem but not key.pem";
}

void TestDockerEndpoint::rejects()
{
    QFETCH(QString, dockerHost);
    QFETCH(bool, tlsVerify);
    QFETCH(QString, certPath);
    QFETCH(QString, error);
    DockerEndpoint e;
    e.socketPath = QStringLiteral("/unchanged");
    QString got;
    QVERIFY(!DockerEndpoint::parse(dockerHost, tlsVerify, certPath, &e, &got));
    QVERIFY2(got.contains(error), qPrintable(got));
    QCOMPARE(e.socketPath, QStringLiteral("/unchanged")); // untouched on error
}

void TestDockerEndpoint::fromEnvironment()
{
    qputenv("DOCKER_HOST", "tcp://127.0.0.1:2376");
    qputenv("DOCKER_TLS_VERIFY", "1");
    qputenv("DOCKER_CERT_PATH", m_certs.path().toLocal8Bit());
    DockerEndpoint e;
    QString error;
    QVERIFY2(DockerEndpoint::fromEnvironment(&e, &error), qPrintable(error));
    QVERIFY(e.tls);
    QCOMPARE(e.certPath, m_certs.path());

    qunsetenv("DOCKER_TLS_VERIFY");
    qputenv("DOCKER_HOST", "unix:///tmp/x.sock");
    QVERIFY(DockerEndpoint::fromEnvironment(&e, &error));
    QCOMPARE(e.describe(), QStringLiteral("unix:///tmp/x.sock"));

    qputenv("DOCKER_HOST", "bogus");
    QVERIFY(!DockerEndpoint::fromEnvironment(&e, &error));
    QVERIFY(error.startsWith(QStringLiteral("DOCKER_HOST \"bogus\"")));

    qunsetenv("DOCKER_HOST");
    qunsetenv("DOCKER_CERT_PATH");
    QVERIFY(DockerEndpoint::fromEnvironment(&e, &error));
    QCOMPARE(e.describe(), QStringLiteral("unix:///var/run/docker.sock"));
}

QTEST_GUILESS_MAIN(TestDockerEndpoint)
#include "tst_dockerendpoint.moc"
